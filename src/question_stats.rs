//! Question statistics (试题分析): how often each question version was used, its facility
//! (share answered right), its discrimination index (the upper 27 % of candidates by score
//! against the lower 27 %), and how often each option was chosen. Grading adds one finished
//! paper's tallies in its own transaction (`exam::store::finish`); the report reads them.
//! Pure rules here; the SQL is in `exam::store` (writing) and `reports` (reading).

use std::collections::BTreeMap;

/// Score bands: the attempt's share of the maximum in steps of 5 %, 0 to 20.
pub const BANDS: i64 = 20;

/// What one finished paper adds to the statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tallies {
    /// (version, band, correct): one per question on the paper, sorted by version so
    /// concurrent graders lock rows in the same order.
    pub uses: Vec<(i64, i64, bool)>,
    /// (version, option key in the question itself): one per option chosen, sorted.
    pub chosen: Vec<(i64, String)>,
}

/// The band of a score.
pub fn band(score: f64, max_score: f64) -> i64 {
    if max_score <= 0.0 {
        return 0;
    }
    ((score / max_score * BANDS as f64).floor() as i64).clamp(0, BANDS)
}

/// One question of a graded paper: its version, whether it was right, and the options
/// chosen by their keys in the question itself.
pub struct Answered<'a> {
    pub version_id: i64,
    pub correct: bool,
    pub chosen: Vec<&'a str>,
}

/// The tallies of a graded paper that scored `score` of `max_score`.
pub fn tallies<'a>(
    score: f64,
    max_score: f64,
    answered: impl IntoIterator<Item = Answered<'a>>,
) -> Tallies {
    let band = band(score, max_score);
    let mut uses = Vec::new();
    let mut chosen = Vec::new();
    for a in answered {
        uses.push((a.version_id, band, a.correct));
        chosen.extend(a.chosen.iter().map(|k| (a.version_id, k.to_string())));
    }
    uses.sort_by_key(|u| u.0);
    // A version appears once per paper; were it twice, one row each keeps the upsert simple.
    uses.dedup_by_key(|u| u.0);
    chosen.sort();
    chosen.dedup();
    Tallies { uses, chosen }
}

/// One band of a version's statistics as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandCount {
    pub band: i64,
    pub used: i64,
    pub correct: i64,
}

/// Share answered right.
pub fn facility(bands: &[BandCount]) -> Option<f64> {
    let used: i64 = bands.iter().map(|b| b.used).sum();
    let correct: i64 = bands.iter().map(|b| b.correct).sum();
    (used > 0).then(|| correct as f64 / used as f64)
}

/// The discrimination index D = p(upper 27 %) − p(lower 27 %), with candidates ranked by
/// their score band; a band split by the 27 % line counts in proportion. None with fewer than
/// 10 uses, where D says nothing.
pub fn discrimination(bands: &[BandCount]) -> Option<f64> {
    let used: i64 = bands.iter().map(|b| b.used).sum();
    if used < 10 {
        return None;
    }
    let group = used as f64 * 0.27;
    let mut by_band: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for b in bands {
        let e = by_band.entry(b.band).or_default();
        e.0 += b.used as f64;
        e.1 += b.correct as f64;
    }
    let share_right = |mut iter: Box<dyn Iterator<Item = &(f64, f64)> + '_>| {
        let (mut taken, mut right) = (0.0, 0.0);
        while taken < group {
            let Some((u, c)) = iter.next() else { break };
            let take = u.min(group - taken);
            taken += take;
            right += c * take / u;
        }
        right / group
    };
    let upper = share_right(Box::new(by_band.values().rev()));
    let lower = share_right(Box::new(by_band.values()));
    Some(upper - lower)
}

/// Whether a question deserves the bureau's look: too easy, too hard, or not telling strong
/// candidates from weak ones (D under 0.2, the usual line), once it has 30 uses.
pub fn flagged(used: i64, facility: Option<f64>, discrimination: Option<f64>) -> bool {
    used >= 30
        && (facility.is_some_and(|p| !(0.2..=0.95).contains(&p))
            || discrimination.is_some_and(|d| d < 0.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(band: i64, used: i64, correct: i64) -> BandCount {
        BandCount {
            band,
            used,
            correct,
        }
    }

    #[test]
    fn bands_split_scores_in_steps_of_five_percent() {
        assert_eq!(band(0.0, 100.0), 0);
        assert_eq!(band(59.9, 100.0), 11);
        assert_eq!(band(60.0, 100.0), 12);
        assert_eq!(band(100.0, 100.0), 20);
        assert_eq!(band(3.0, 0.0), 0);
    }

    #[test]
    fn a_question_the_strong_answer_and_the_weak_miss_discriminates_fully() {
        // 100 candidates: 27 at the top all right, 27 at the bottom all wrong.
        let bands = [b(20, 27, 27), b(12, 46, 23), b(2, 27, 0)];
        assert!((discrimination(&bands).unwrap() - 1.0).abs() < 1e-9);
        assert!((facility(&bands).unwrap() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_band_on_the_line_counts_in_proportion() {
        // 100 candidates in two bands of 50: the upper 27 come from the top band (80 % right),
        // the lower 27 from the bottom one (40 % right).
        let bands = [b(18, 50, 40), b(6, 50, 20)];
        assert!((discrimination(&bands).unwrap() - 0.4).abs() < 1e-9);
        // Everyone in one band: no difference between upper and lower.
        assert!(discrimination(&[b(10, 40, 30)]).unwrap().abs() < 1e-9);
        assert_eq!(discrimination(&[b(10, 9, 9)]), None, "too few uses");
    }

    #[test]
    fn flags_the_too_easy_the_too_hard_and_the_undiscriminating() {
        assert!(flagged(30, Some(0.98), Some(0.5)));
        assert!(flagged(30, Some(0.1), Some(0.5)));
        assert!(flagged(30, Some(0.6), Some(0.1)));
        assert!(!flagged(30, Some(0.6), Some(0.4)));
        assert!(!flagged(29, Some(0.99), Some(0.0)), "too few uses to judge");
    }
}
