//! Load generator: plays N candidates against a running SafeCert over HTTP and reports what a
//! bureau needs to know before a big sitting. See bench/README.md for the commands.
//!
//! Each candidate logs in, starts its attempt in a start storm (every start inside
//! `--start-window-ms`, spread evenly; 0 releases all at once), answers every question with a
//! think time (`--passes` times over, for the saturation mode), changes some answers, reloads
//! once, and submits, right away or in the last `--submit-window-s` seconds before the
//! deadline; a share submits nothing and is left to the server's deadline sweeper. Afterwards
//! every answer the server acknowledged is checked against the graded attempt (lost answers
//! must be 0), and the time from the deadline until every attempt is graded is measured.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

struct Args {
    base: String,
    seed: String,
    think_ms: u64,
    submit_share: f64,
    change_share: f64,
    start_window_ms: u64,
    passes: i64,
    submit_window_s: Option<f64>,
    server_pid: Option<u32>,
    label: String,
    timeline: Option<String>,
    /// Logins sent at once (argon2 on the server); every candidate at once for a login storm.
    login_concurrency: usize,
    /// Idle connections the client keeps; beyond them, a finished request's connection is
    /// closed and the next request opens a new one.
    max_idle: usize,
    /// TCP_USER_TIMEOUT on the client's sockets, in seconds (0: none, as a browser). reqwest
    /// 0.12 sets 30 s by default.
    tcp_user_timeout_s: u64,
}

fn args() -> Args {
    let mut a = Args {
        base: "http://127.0.0.1:8080".into(),
        seed: "loadtest-seed.json".into(),
        think_ms: 500,
        submit_share: 0.9,
        change_share: 0.1,
        start_window_ms: 10_000,
        passes: 1,
        submit_window_s: None,
        server_pid: None,
        label: "run".into(),
        timeline: None,
        login_concurrency: 32,
        max_idle: 1024,
        tcp_user_timeout_s: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => a.base = value(),
            "--seed" => a.seed = value(),
            "--think-ms" => a.think_ms = value().parse().expect("--think-ms"),
            "--submit-share" => a.submit_share = value().parse().expect("--submit-share"),
            "--change-share" => a.change_share = value().parse().expect("--change-share"),
            "--start-window-ms" => a.start_window_ms = value().parse().expect("--start-window-ms"),
            "--passes" => a.passes = value().parse::<i64>().expect("--passes").max(1),
            "--submit-window-s" => {
                a.submit_window_s = Some(value().parse().expect("--submit-window-s"))
            }
            "--server-pid" => a.server_pid = Some(value().parse().expect("--server-pid")),
            "--label" => a.label = value(),
            "--timeline" => a.timeline = Some(value()),
            "--login-concurrency" => {
                a.login_concurrency = value()
                    .parse::<usize>()
                    .expect("--login-concurrency")
                    .max(1)
            }
            "--max-idle" => a.max_idle = value().parse().expect("--max-idle"),
            "--tcp-user-timeout-s" => {
                a.tcp_user_timeout_s = value().parse().expect("--tcp-user-timeout-s")
            }
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// Connections this machine has opened so far (`Tcp: ActiveOpens` in /proc/net/snmp).
fn tcp_active_opens() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut tcp = snmp.lines().filter(|l| l.starts_with("Tcp:"));
    let (Some(names), Some(values)) = (tcp.next(), tcp.next()) else {
        return 0;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(name, _)| *name == "ActiveOpens")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
}

/// A small deterministic PRNG per candidate (no extra crate).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// When the generator started: the timeline's zero.
static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

#[derive(Default)]
struct Stats {
    latencies: HashMap<&'static str, Vec<u64>>,
    errors: BTreeMap<String, u64>,
    /// Every call as (ms since EPOCH when it was answered, what, latency µs), for `--timeline`.
    timeline: Vec<(u32, &'static str, u32)>,
}

impl Stats {
    fn record(&mut self, what: &'static str, started: Instant) {
        let micros = started.elapsed().as_micros() as u64;
        self.latencies.entry(what).or_default().push(micros);
        // "save, during …" and "save, after it" repeat a save already recorded as "save".
        if !what.starts_with("save,") {
            let at = EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u32;
            self.timeline.push((at, what, micros as u32));
        }
    }
    fn error(&mut self, what: &str, code: &str) {
        *self.errors.entry(format!("{what}: {code}")).or_default() += 1;
    }
}

type Shared = Arc<Mutex<Stats>>;
/// First save sent, last save answered, saves sent: the save phase's throughput.
type SaveWindow = Arc<Mutex<(Option<Instant>, Option<Instant>, u64)>>;

/// What a candidate reads from its start reply: the attempt and each question's option keys.
/// Typed, so 5,000 papers of ~40 KB are not each built as a JSON tree in the generator, which
/// shares the machine with the server.
#[derive(serde::Deserialize)]
struct StartReply {
    id: i64,
    paper_etag: String,
    questions: Vec<QuestionFace>,
}

#[derive(serde::Deserialize)]
struct QuestionFace {
    position: u64,
    kind: String,
    options: Vec<OptionKey>,
}

#[derive(serde::Deserialize)]
struct OptionKey {
    key: String,
}

/// What a reload is checked for: the answers it returns (the paper is skipped unparsed).
#[derive(serde::Deserialize)]
struct ReloadReply {
    answers: Vec<SavedAnswer>,
}

/// A save's reply, and each answer in a reload.
#[derive(serde::Deserialize)]
struct SavedAnswer {
    position: u64,
    choice: Vec<String>,
    seq: i64,
}

/// An error body's code, for the error counts.
fn error_code(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        code: String,
    }
    serde_json::from_slice::<ErrorBody>(body).map_or_else(|_| "?".into(), |e| e.code)
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let (status, bytes) = call_raw(client, method, url, token, body).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn call_raw(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Vec<u8>) {
    call_naming_paper(client, method, url, token, body, None).await
}

/// Requests answered 503 `server_busy` and sent again after their `Retry-After`.
static BUSY_RETRIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One call as the exam page makes it: a 503 `server_busy` is retried after `Retry-After`;
/// `paper_etag` goes out as `If-None-Match`, so a reload skips the paper already held.
async fn call_naming_paper(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
    paper_etag: Option<&str>,
) -> (u16, Vec<u8>) {
    loop {
        let mut req = client.request(method.clone(), &url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        if let Some(etag) = paper_etag {
            req = req.header("If-None-Match", etag);
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                if let (503, Some(seconds)) = (status, retry_after)
                    && error_code(&bytes) == "server_busy"
                {
                    BUSY_RETRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_secs(seconds)).await;
                    continue;
                }
                return (status, bytes);
            }
            Err(e) => {
                return (
                    0,
                    json!({"code": if e.is_timeout() { "timeout" } else { "connection" }})
                        .to_string()
                        .into_bytes(),
                );
            }
        }
    }
}

/// What the sampler saw at one moment: the server's resident memory (every 100 ms) and, every
/// 500 ms, the CPU time used so far by each party on the machine.
struct Sample {
    at: Instant,
    rss_kb: u64,
    /// RssAnon: the process's own memory, without mapped files.
    anon_kb: u64,
    cpu: Option<CpuTicks>,
}

/// Clock ticks (1/100 s) since boot: by process group, and the machine's busy, idle and stolen
/// time summed over its cores. Steal is time the virtual machine's host gave to others.
#[derive(Clone, Copy, Default)]
struct CpuTicks {
    server: u64,
    generator: u64,
    postgres: u64,
    redis: u64,
    busy: u64,
    idle: u64,
    steal: u64,
}

type Samples = Arc<Mutex<Vec<Sample>>>;

/// user+nice+system+irq+softirq, idle+iowait, steal from the first line of /proc/stat.
fn machine_ticks() -> Option<(u64, u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let f: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let at = |i: usize| f.get(i).copied().unwrap_or(0);
    Some((at(0) + at(1) + at(2) + at(5) + at(6), at(3) + at(4), at(7)))
}

/// (command name, utime + stime) of a process from /proc/<pid>/stat.
fn process_ticks(pid: u32) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    // After the name: state is field 3, utime and stime are fields 14 and 15.
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((
        comm,
        f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
    ))
}

fn cpu_ticks(server: u32) -> Option<CpuTicks> {
    let (busy, idle, steal) = machine_ticks()?;
    let mut t = CpuTicks {
        busy,
        idle,
        steal,
        ..CpuTicks::default()
    };
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Some((comm, ticks)) = process_ticks(pid) else {
            continue;
        };
        match () {
            _ if pid == server => t.server += ticks,
            _ if pid == me => t.generator += ticks,
            _ if comm == "postgres" => t.postgres += ticks,
            _ if comm.starts_with("redis-server") => t.redis += ticks,
            _ => {}
        }
    }
    Some(t)
}

/// Samples the server in the background, so the report can say which phase of the run holds
/// the peak memory (VmHWM alone says only how high it went) and where each phase's CPU went.
fn sample_server(pid: u32) -> Samples {
    let samples: Samples = Arc::default();
    let out = samples.clone();
    tokio::spawn(async move {
        let mut tick = 0u64;
        // Until the server is gone.
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let kb = |field: &str| -> Option<u64> {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(field))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            };
            let cpu = tick.is_multiple_of(5).then(|| cpu_ticks(pid)).flatten();
            if let Some(rss_kb) = kb("VmRSS:") {
                out.lock().unwrap().push(Sample {
                    at: Instant::now(),
                    rss_kb,
                    anon_kb: kb("RssAnon:").unwrap_or(rss_kb),
                    cpu,
                });
            }
            tick += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    samples
}

/// The highest sample in [from, to), in MB: of all resident memory, or (`anon`) of the
/// process's own, without the files it maps (the binary; SQLite's database file, read through
/// a memory map of up to 1 GiB, which the kernel's page cache holds and can drop).
fn rss_peak_mb(samples: &[Sample], from: Instant, to: Instant, anon: bool) -> Option<u64> {
    samples
        .iter()
        .filter(|s| s.at >= from && s.at < to)
        .map(|s| (if anon { s.anon_kb } else { s.rss_kb }) / 1024)
        .max()
}

/// CPU used in [from, to) as a share of one core, in %: server, generator, PostgreSQL,
/// Redis, everything else, idle, stolen (the machine's total is 100 % per core).
fn cpu_shares(samples: &[Sample], from: Instant, to: Instant) -> Option<[f64; 7]> {
    let mut within = samples
        .iter()
        .filter(|s| s.at >= from && s.at < to)
        .filter_map(|s| s.cpu.map(|c| (s.at, c)));
    let (t0, a) = within.next()?;
    let (t1, b) = within.next_back()?;
    let secs = t1.duration_since(t0).as_secs_f64();
    if secs <= 0.0 {
        return None;
    }
    // Ticks are 1/100 s, so ticks per second is % of one core.
    let pct = |x: u64, y: u64| y.saturating_sub(x) as f64 / secs;
    let named = [
        pct(a.server, b.server),
        pct(a.generator, b.generator),
        pct(a.postgres, b.postgres),
        pct(a.redis, b.redis),
    ];
    let other = (pct(a.busy, b.busy) - named.iter().sum::<f64>()).max(0.0);
    Some([
        named[0],
        named[1],
        named[2],
        named[3],
        other,
        pct(a.idle, b.idle),
        pct(a.steal, b.steal),
    ])
}

/// Writes one CSV row per second from `from` to `to`: calls answered in that second, the save
/// latencies among them, and where the machine's CPU went, so a tail can be matched to what
/// the machine was doing at the time.
fn write_timeline(
    path: &str,
    timeline: &[(u32, &'static str, u32)],
    samples: &[Sample],
    from: Instant,
    to: Instant,
) -> std::io::Result<()> {
    use std::io::Write;
    let epoch = *EPOCH.get().expect("set at start");
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "second,starts,saves,save_p50_ms,save_p99_ms,save_max_ms,reloads,submits,\
         server_cpu,generator_cpu,postgres_cpu,redis_cpu,other_cpu,idle_cpu,stolen_cpu,server_rss_mb"
    )?;
    // One pass over the calls, each into the second it was answered in.
    #[derive(Default)]
    struct Second {
        starts: usize,
        saves: Vec<u64>,
        reloads: usize,
        submits: usize,
    }
    let seconds = to.saturating_duration_since(from).as_secs();
    let from_ms = from.duration_since(epoch).as_millis() as u32;
    let mut buckets: Vec<Second> = (0..=seconds).map(|_| Second::default()).collect();
    for &(at, what, us) in timeline {
        let Some(b) = at
            .checked_sub(from_ms)
            .and_then(|ms| buckets.get_mut(ms as usize / 1000))
        else {
            continue;
        };
        match what {
            "start" => b.starts += 1,
            "save" => b.saves.push(us as u64),
            "reload" => b.reloads += 1,
            "submit" => b.submits += 1,
            _ => {}
        }
    }
    for (k, mut b) in buckets.into_iter().enumerate() {
        let lo = from + Duration::from_secs(k as u64);
        let hi = lo + Duration::from_secs(1);
        b.saves.sort_unstable();
        let cpu = cpu_shares(samples, lo, hi + Duration::from_millis(1))
            .map(|c| c.map(|v| format!("{v:.0}")).join(","))
            .unwrap_or_else(|| ",,,,,,".into());
        let rss = rss_peak_mb(samples, lo, hi, false).map_or(String::new(), |m| m.to_string());
        writeln!(
            out,
            "{k},{},{},{:.1},{:.1},{:.1},{},{},{cpu},{rss}",
            b.starts,
            b.saves.len(),
            percentile(&b.saves, 0.5),
            percentile(&b.saves, 0.99),
            percentile(&b.saves, 1.0),
            b.reloads,
            b.submits,
        )?;
    }
    out.flush()
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// What one candidate's run leaves behind for the checks.
struct Played {
    attempt: i64,
    /// position -> (choice, seq) of the newest answer the server acknowledged.
    acked: BTreeMap<u64, (Vec<String>, i64)>,
    submitted: bool,
    reload_mismatch: bool,
}

#[tokio::main]
async fn main() {
    EPOCH.get_or_init(Instant::now);
    let a = args();
    let seed: Value =
        serde_json::from_slice(&std::fs::read(&a.seed).expect("seed file")).expect("seed json");
    let sitting = seed["sitting_id"].as_i64().unwrap();
    let deadline: DateTime<Utc> = seed["deadline"].as_str().unwrap().parse().unwrap();
    let password = seed["password"].as_str().unwrap().to_string();
    let phones: Vec<String> = seed["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let n = phones.len();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.max_idle)
        // Browsers set no TCP_USER_TIMEOUT; reqwest's default of 30 s aborted established
        // connections that waited in a login storm (bench/README.md).
        .tcp_user_timeout(Some(Duration::from_secs(a.tcp_user_timeout_s)).filter(|t| !t.is_zero()))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let stats: Shared = Arc::default();
    let rss = a.server_pid.map(sample_server);

    let (_, admin) = call(
        &client,
        reqwest::Method::POST,
        format!("{}/api/v1/auth/login", a.base),
        None,
        Some(json!({"login": seed["admin_login"], "password": password})),
    )
    .await;
    let admin = admin["token"].as_str().expect("admin login").to_string();

    // Logins (argon2 on the server) happen before the storm, `--login-concurrency` at a time.
    eprintln!(
        "logging in {n} candidates, {} at a time…",
        a.login_concurrency
    );
    let tcp_opened_before = tcp_active_opens();
    let login_started = Instant::now();
    let tokens: Vec<String> = {
        let sem = Arc::new(tokio::sync::Semaphore::new(a.login_concurrency));
        let tasks: Vec<_> = phones
            .iter()
            .map(|phone| {
                let (client, base, password, stats, sem, phone) = (
                    client.clone(),
                    a.base.clone(),
                    password.clone(),
                    stats.clone(),
                    sem.clone(),
                    phone.clone(),
                );
                tokio::spawn(async move {
                    let _permit = sem.acquire().await.unwrap();
                    let t = Instant::now();
                    let (status, body) = call(
                        &client,
                        reqwest::Method::POST,
                        format!("{base}/api/v1/auth/login"),
                        None,
                        Some(json!({"login": phone, "password": password})),
                    )
                    .await;
                    let mut s = stats.lock().unwrap();
                    s.record("login", t);
                    if status != 200 {
                        s.error("login", body["code"].as_str().unwrap_or("?"));
                    }
                    body["token"].as_str().unwrap_or_default().to_string()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    };
    let login_secs = login_started.elapsed().as_secs_f64();

    eprintln!("start storm…");
    let storm_started = Instant::now();
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let storm_first: Arc<Mutex<Option<Instant>>> = Arc::default();
    let storm_last: Arc<Mutex<Option<Instant>>> = Arc::default();
    // Starts answered so far: a save counts as "during the start storm" until all are.
    let starts_done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let save_window: SaveWindow = Arc::default();
    // When each submitted attempt came back graded.
    let finished: Arc<Mutex<Vec<DateTime<Utc>>>> = Arc::default();
    let tasks: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let (client, base, stats, barrier) = (
                client.clone(),
                a.base.clone(),
                stats.clone(),
                barrier.clone(),
            );
            let (first, last, window) =
                (storm_first.clone(), storm_last.clone(), save_window.clone());
            let (think, submit_share, change_share, passes) =
                (a.think_ms, a.submit_share, a.change_share, a.passes);
            let start_at = Duration::from_micros(a.start_window_ms * 1000 * i as u64 / n as u64);
            let submit_window = a.submit_window_s;
            let finished = finished.clone();
            let starts_done = starts_done.clone();
            tokio::spawn(async move {
                let mut rng = Rng(0x5AFE_CE27 ^ i as u64);
                barrier.wait().await;
                tokio::time::sleep(start_at).await;
                first.lock().unwrap().get_or_insert_with(Instant::now);
                let t = Instant::now();
                let (status, start) = call_raw(
                    &client,
                    reqwest::Method::POST,
                    format!("{base}/api/v1/sittings/{sitting}/attempts"),
                    Some(&token),
                    Some(json!({})),
                )
                .await;
                stats.lock().unwrap().record("start", t);
                *last.lock().unwrap() = Some(Instant::now());
                starts_done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let reply = serde_json::from_slice::<StartReply>(&start);
                let (
                    true,
                    Ok(StartReply {
                        id: attempt,
                        paper_etag,
                        questions,
                    }),
                ) = (status == 200 || status == 201, reply)
                else {
                    let error: Value = serde_json::from_slice(&start).unwrap_or(Value::Null);
                    stats
                        .lock()
                        .unwrap()
                        .error("start", error["code"].as_str().unwrap_or("?"));
                    return None;
                };
                let mut acked: BTreeMap<u64, (Vec<String>, i64)> = BTreeMap::new();
                let mut reload_mismatch = false;
                let total = questions.len();
                for (qi, q) in questions.iter().enumerate() {
                    let position = q.position;
                    let keys: Vec<&str> = q.options.iter().map(|o| o.key.as_str()).collect();
                    let changes = if rng.unit() < change_share { 2 } else { 1 };
                    for seq in 1..=changes * passes {
                        if think > 0 {
                            tokio::time::sleep(Duration::from_millis(
                                (think as f64 * (0.5 + rng.unit())) as u64,
                            ))
                            .await;
                        }
                        let mut choice = vec![keys[(rng.next() % keys.len() as u64) as usize]];
                        if q.kind == "multiple" {
                            let other = keys[(rng.next() % keys.len() as u64) as usize];
                            if !choice.contains(&other) {
                                choice.push(other);
                            }
                        }
                        for attempt_no in 0..4 {
                            let in_storm =
                                starts_done.load(std::sync::atomic::Ordering::Relaxed) < n;
                            let t = Instant::now();
                            let (status, body) = call_raw(
                                &client,
                                reqwest::Method::PUT,
                                format!("{base}/api/v1/attempts/{attempt}/answers/{position}"),
                                Some(&token),
                                Some(json!({"choice": choice, "seq": seq})),
                            )
                            .await;
                            {
                                let mut s = stats.lock().unwrap();
                                s.record("save", t);
                                s.record(
                                    if in_storm {
                                        "save, during the start storm"
                                    } else {
                                        "save, after it"
                                    },
                                    t,
                                );
                                let mut w = window.lock().unwrap();
                                w.0.get_or_insert(t);
                                w.1 = Some(Instant::now());
                                w.2 += 1;
                            }
                            if status == 200 {
                                let saved: SavedAnswer =
                                    serde_json::from_slice(&body).expect("a save reply");
                                let mut stored = saved.choice;
                                stored.sort();
                                acked.insert(position, (stored, saved.seq));
                                break;
                            }
                            stats.lock().unwrap().error("save", &error_code(&body));
                            if status != 503 && status != 0 {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(200 << attempt_no)).await;
                        }
                    }
                    if qi == total / 2 {
                        // A reload (another device): everything acknowledged so far must come back.
                        let t = Instant::now();
                        let (status, page) = call_naming_paper(
                            &client,
                            reqwest::Method::GET,
                            format!("{base}/api/v1/attempts/{attempt}"),
                            Some(&token),
                            None,
                            Some(&paper_etag),
                        )
                        .await;
                        stats.lock().unwrap().record("reload", t);
                        if status == 200 {
                            let page: ReloadReply =
                                serde_json::from_slice(&page).expect("a reload reply");
                            let returned: HashMap<u64, i64> =
                                page.answers.iter().map(|x| (x.position, x.seq)).collect();
                            reload_mismatch = acked
                                .iter()
                                .any(|(p, (_, seq))| returned.get(p) != Some(seq));
                        } else {
                            stats.lock().unwrap().error("reload", &error_code(&page));
                        }
                    }
                }
                let submitted = rng.unit() < submit_share;
                if submitted {
                    if let Some(window) = submit_window {
                        // The end-of-exam rush: a moment in the last `window` seconds.
                        let at = deadline
                            - chrono::Duration::milliseconds((window * 1000.0 * rng.unit()) as i64);
                        if let Ok(wait) = (at - Utc::now()).to_std() {
                            tokio::time::sleep(wait).await;
                        }
                    }
                    let t = Instant::now();
                    let (status, body) = call(
                        &client,
                        reqwest::Method::POST,
                        format!("{base}/api/v1/attempts/{attempt}/submit"),
                        Some(&token),
                        Some(json!({})),
                    )
                    .await;
                    stats.lock().unwrap().record("submit", t);
                    finished.lock().unwrap().push(Utc::now());
                    if status != 200 {
                        stats
                            .lock()
                            .unwrap()
                            .error("submit", body["code"].as_str().unwrap_or("?"));
                    }
                }
                Some(Played {
                    attempt,
                    acked,
                    submitted,
                    reload_mismatch,
                })
            })
        })
        .collect();
    let mut played = Vec::with_capacity(n);
    for t in tasks {
        if let Some(p) = t.await.unwrap() {
            played.push(p);
        }
    }
    let storm_secs = match (*storm_first.lock().unwrap(), *storm_last.lock().unwrap()) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };

    eprintln!("waiting for the deadline ({deadline}) and the sweeper…");
    while Utc::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut open: Vec<i64> = played
        .iter()
        .filter(|p| !p.submitted)
        .map(|p| p.attempt)
        .collect();
    // The storm is over when the last submit came back and the sweeper graded the rest.
    let last_submit = finished.lock().unwrap().iter().max().copied();
    let mut graded_after =
        last_submit.map_or(0.0, |t| (t - deadline).num_milliseconds() as f64 / 1000.0);
    let mut results: HashMap<i64, Value> = HashMap::new();
    let poll_started = Instant::now();
    while !open.is_empty() && poll_started.elapsed() < Duration::from_secs(600) {
        let mut still = Vec::new();
        for id in open {
            let (status, body) = call(
                &client,
                reqwest::Method::GET,
                format!("{}/api/v1/attempts/{id}/result", a.base),
                Some(&admin),
                None,
            )
            .await;
            if status == 200 {
                results.insert(id, body);
            } else {
                still.push(id);
            }
        }
        open = still;
        graded_after = graded_after.max((Utc::now() - deadline).num_milliseconds() as f64 / 1000.0);
        if !open.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    // Every acknowledged answer must be in the graded attempt.
    let mut lost = 0u64;
    let mut checked = 0u64;
    for p in &played {
        let body = match results.remove(&p.attempt) {
            Some(b) => b,
            None => {
                call(
                    &client,
                    reqwest::Method::GET,
                    format!("{}/api/v1/attempts/{}/result", a.base, p.attempt),
                    Some(&admin),
                    None,
                )
                .await
                .1
            }
        };
        let graded: HashMap<u64, Vec<String>> = body["questions"]
            .as_array()
            .map(|qs| {
                qs.iter()
                    .map(|q| {
                        let mut c: Vec<String> = q["choice"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|k| k.as_str().unwrap().to_string())
                            .collect();
                        c.sort();
                        (q["position"].as_u64().unwrap(), c)
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (position, (choice, _)) in &p.acked {
            checked += 1;
            if graded.get(position) != Some(choice) {
                lost += 1;
            }
        }
    }
    let reload_mismatches = played.iter().filter(|p| p.reload_mismatch).count();

    let stats = stats.lock().unwrap();
    let (w0, w1, saves) = *save_window.lock().unwrap();
    let save_secs = match (w0, w1) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    let mut report = String::new();
    report.push_str(&format!(
        "### {} — {} candidates, {} questions, think {} ms\n\n",
        a.label,
        n,
        played.first().map_or(0, |p| p.acked.len().max(1)),
        a.think_ms
    ));
    report.push_str("| call | count | p50 ms | p95 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- |\n");
    for what in [
        "login",
        "start",
        "save",
        "save, during the start storm",
        "save, after it",
        "reload",
        "submit",
    ] {
        let mut v = stats.latencies.get(what).cloned().unwrap_or_default();
        v.sort_unstable();
        report.push_str(&format!(
            "| {what} | {} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            v.len(),
            percentile(&v, 0.5),
            percentile(&v, 0.95),
            percentile(&v, 0.99),
            percentile(&v, 1.0)
        ));
    }
    report.push_str(&format!(
        "\n- logins: {n} in {login_secs:.1} s, {} at a time; start storm: {n} starts within {storm_secs:.2} s (released over {} ms)\n\
         - answer saves: {saves} in {save_secs:.1} s = {:.0} saves/s\n\
         - submitted: {} ({}); auto-submitted: {}; every attempt graded {:.1} s after the deadline\n\
         - acknowledged answers checked against graded attempts: {checked}; **lost: {lost}**; reload mismatches: {reload_mismatches}\n\
         - 503 server_busy answered and retried: {}\n\
         - TCP connections opened on the machine during the run: {} (the client keeps {} idle)\n\
         - errors: {}\n",
        a.login_concurrency,
        a.start_window_ms,
        saves as f64 / save_secs.max(0.001),
        played.iter().filter(|p| p.submitted).count(),
        match a.submit_window_s {
            Some(w) => format!("in the last {w} s before the deadline"),
            None => "as each finished".into(),
        },
        played.iter().filter(|p| !p.submitted).count(),
        graded_after.max(0.0),
        BUSY_RETRIES.load(std::sync::atomic::Ordering::Relaxed),
        tcp_active_opens().saturating_sub(tcp_opened_before),
        a.max_idle,
        if stats.errors.is_empty() { "none".to_string() } else { format!("{:?}", stats.errors) },
    ));
    if let Some(samples) = &rss {
        let samples = samples.lock().unwrap();
        let now = Instant::now();
        // The deadline storm begins with the submit window (or at the deadline without one).
        let to_deadline = (deadline - Utc::now()).to_std().unwrap_or_default();
        let since_deadline = (Utc::now() - deadline).to_std().unwrap_or_default();
        let deadline_at = (now + to_deadline)
            .checked_sub(since_deadline)
            .unwrap_or(now);
        let window = Duration::from_secs_f64(a.submit_window_s.unwrap_or(0.0));
        let deadline_storm = deadline_at.checked_sub(window).unwrap_or(deadline_at);
        let storm_ended = storm_last.lock().unwrap().unwrap_or(storm_started);
        // Until every attempt was graded, not through the checks that follow.
        let graded_at = (deadline_at + Duration::from_secs_f64(graded_after.max(0.0))).min(now);
        let phases = [
            ("logins", login_started, storm_started),
            ("start storm", storm_started, storm_ended),
            ("answering", storm_ended, deadline_storm),
            ("deadline storm and grading", deadline_storm, graded_at),
        ];
        for (what, anon) in [
            ("highest VmRSS sampled", false),
            (
                "its own, highest RssAnon sampled: without mapped files",
                true,
            ),
        ] {
            let shown: Vec<String> = phases
                .iter()
                .map(
                    |(name, from, to)| match rss_peak_mb(&samples, *from, *to, anon) {
                        Some(mb) => format!("{name} {mb} MB"),
                        None => format!("{name} -"),
                    },
                )
                .collect();
            report.push_str(&format!(
                "- server memory ({what}) by phase: {}\n",
                shown.join(", ")
            ));
        }
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        report.push_str(&format!(
            "\nCPU by phase, in % of one core (the machine has {cores}: {} % in all):\n\n\
             | phase | server | generator | PostgreSQL | Redis | other | idle | stolen by the host |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- |\n",
            cores * 100
        ));
        for (name, from, to) in phases {
            if let Some(c) = cpu_shares(&samples, from, to) {
                report.push_str(&format!(
                    "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |\n",
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6]
                ));
            }
        }
        report.push('\n');
        if let Some(path) = &a.timeline {
            match write_timeline(path, &stats.timeline, &samples, storm_started, graded_at) {
                Ok(()) => report.push_str(&format!("- a timeline per second: {path}\n")),
                Err(e) => eprintln!("timeline not written to {path}: {e}"),
            }
        }
    }
    if let Some(pid) = a.server_pid
        && let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
    {
        let peak = status
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap_or("VmHWM: ?")
            .replace("VmHWM:", "")
            .trim()
            .to_string();
        report.push_str(&format!("- server peak memory (VmHWM): {peak}\n"));
    }
    println!("{report}");
}
