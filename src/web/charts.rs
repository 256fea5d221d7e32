//! Charts drawn on the server as SVG: no script, no library, readable on a phone (each chart
//! scales to the width it is given and keeps its labels as text). Every label is escaped.

use std::fmt::Write;

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// A figure to one decimal, as the charts print it.
fn short(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A progress bar: `share` of the way (clipped at the end, the figure says the rest), with
/// the forecast as a tick where one is known.
pub fn progress(share: f64, forecast_share: Option<f64>, label: &str) -> String {
    let filled = (share.clamp(0.0, 1.0) * 300.0).round();
    let colour = if share >= 1.0 { "#1a7f37" } else { "#0b5cad" };
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 300 24" role="img" aria-label="{label}" preserveAspectRatio="none"><rect width="300" height="24" rx="4" fill="#e7ebf0"/><rect width="{filled}" height="24" rx="4" fill="{colour}"/>"##,
        label = escape(label)
    );
    if let Some(f) = forecast_share {
        let x = (f.clamp(0.0, 1.0) * 300.0).round().clamp(1.0, 299.0);
        let _ = write!(
            svg,
            r##"<line x1="{x}" y1="0" x2="{x}" y2="24" stroke="#9a6700" stroke-width="2"><title>按当前进度年底预计</title></line>"##
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One bar of a horizontal bar chart.
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
}

/// Horizontal bars with a benchmark line (e.g. 15 responders per km²); bars at or past it are
/// green. Bars without a value say 未填.
pub fn bars(bars: &[Bar], benchmark: f64, title: &str) -> String {
    let row = 26.0;
    let (left, width) = (96.0, 300.0);
    let top = 4.0;
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .fold(benchmark * 1.2, f64::max);
    let height = top + row * bars.len() as f64 + 18.0;
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 {total} {height}" role="img" aria-label="{title}">"##,
        total = left + width + 48.0,
        title = escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let name: String = bar.label.chars().take(7).collect();
        let _ = write!(
            svg,
            r##"<text x="{x}" y="{ty}" text-anchor="end" font-size="13">{name}</text>"##,
            x = left - 6.0,
            ty = y + 16.0,
            name = escape(&name)
        );
        match bar.value {
            Some(v) => {
                let w = (v / max * width).max(1.0);
                let fill = if v >= benchmark { "#1a7f37" } else { "#0b5cad" };
                let _ = write!(
                    svg,
                    r##"<rect x="{left}" y="{ry}" width="{w:.1}" height="18" rx="3" fill="{fill}"><title>{label}：{value}</title></rect><text x="{tx:.1}" y="{ty}" font-size="12">{value}</text>"##,
                    ry = y + 3.0,
                    label = escape(&bar.label),
                    value = short(v),
                    tx = left + w + 4.0,
                    ty = y + 16.0,
                );
            }
            None => {
                let _ = write!(
                    svg,
                    r##"<text x="{left}" y="{ty}" font-size="12" fill="#57606a">未填</text>"##,
                    ty = y + 16.0
                );
            }
        }
    }
    let bx = left + benchmark / max * width;
    let bottom = top + row * bars.len() as f64;
    let _ = write!(
        svg,
        r##"<line x1="{bx:.1}" y1="0" x2="{bx:.1}" y2="{bottom}" stroke="#9a6700" stroke-dasharray="4 3"/><text x="{bx:.1}" y="{ly}" text-anchor="middle" font-size="11" fill="#9a6700">标准 {b}</text></svg>"##,
        ly = bottom + 14.0,
        b = short(benchmark)
    );
    svg
}

/// Monthly columns of a rate (0 to 1), labelled by month, with the count under each.
pub fn monthly_rates(months: &[(String, Option<f64>, i64)], title: &str) -> String {
    let col = 34.0;
    let (left, top, plot) = (30.0, 8.0, 120.0);
    let width = left + col * months.len().max(1) as f64 + 8.0;
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 {width} {h}" role="img" aria-label="{title}">"##,
        h = top + plot + 34.0,
        title = escape(title)
    );
    for pct in [0.0, 0.5, 1.0] {
        let y = top + plot * (1.0 - pct);
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{y}" x2="{width}" y2="{y}" stroke="#e7ebf0"/><text x="{lx}" y="{ty}" text-anchor="end" font-size="10" fill="#57606a">{p}%</text>"##,
            lx = left - 3.0,
            ty = y + 3.0,
            p = (pct * 100.0) as i64
        );
    }
    for (i, (month, rate, count)) in months.iter().enumerate() {
        let x = left + col * i as f64 + 6.0;
        if let Some(r) = rate {
            let h = (r.clamp(0.0, 1.0) * plot).max(1.0);
            let _ = write!(
                svg,
                r##"<rect x="{x}" y="{y:.1}" width="22" height="{h:.1}" rx="2" fill="#0b5cad"><title>{m}：通过率 {p}%，{count} 人次</title></rect>"##,
                y = top + plot - h,
                m = escape(month),
                p = short(r * 100.0),
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{cx}" y="{ty}" text-anchor="middle" font-size="10">{m}</text><text x="{cx}" y="{cy}" text-anchor="middle" font-size="10" fill="#57606a">{count}</text>"##,
            cx = x + 11.0,
            ty = top + plot + 14.0,
            cy = top + plot + 27.0,
            m = escape(month.get(5..).unwrap_or(month)),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_values_printed() {
        let svg = bars(
            &[
                Bar {
                    label: "<东街>".into(),
                    value: Some(16.25),
                },
                Bar {
                    label: "西街".into(),
                    value: None,
                },
            ],
            15.0,
            "每平方公里",
        );
        assert!(svg.contains("&lt;东街&gt;") && !svg.contains("<东街>"));
        assert!(svg.contains(">16.3<") || svg.contains(">16.2<"));
        assert!(svg.contains("未填") && svg.contains("标准 15"));
        assert!(svg.contains("#1a7f37"), "past the benchmark is green");
    }

    #[test]
    fn progress_clips_at_the_end_and_marks_the_forecast() {
        let done = progress(1.4, None, "目标");
        assert!(done.contains(r##"width="300" height="24" rx="4" fill="#1a7f37""##));
        let half = progress(0.5, Some(0.9), "目标");
        assert!(half.contains(r#"width="150""#) && half.contains(r#"x1="270""#));
    }

    #[test]
    fn months_show_rate_and_count() {
        let svg = monthly_rates(
            &[
                ("2026-11".into(), Some(0.8), 10),
                ("2026-12".into(), None, 0),
            ],
            "通过率",
        );
        assert!(svg.contains("2026-11：通过率 80%，10 人次"));
        assert!(svg.contains(">11<") && svg.contains(">12<"));
    }
}
