//! The Redis live store. Each attempt is one hash, `{prefix}:att:{<id>}`, whose hash tag keeps
//! it in one slot so these Lua scripts run unchanged on Redis Cluster. Every rule (owner,
//! deadline, closed, position, option keys, sequence) is checked inside one script, so two
//! app instances can never interleave a save with a close. Fields:
//! `user`, `deadline` (ms), `state` (open | grading), `claimed` (ms), `n` (positions),
//! `k:<pos>` (accepted keys), `a:<pos>` (`<seq>|<keys>`), `seen` (ms).
//!
//! Papers drawn ahead of a sitting are staged too, one hash per candidate,
//! `{prefix}:paper:{<sitting>:<user>}` (`reg`, `q` the rendered questions, `keys`, `max`), so a
//! start reads its ~40 KB paper from here rather than from the database. A paper never
//! changes once drawn, so a staged copy is never stale; it expires after the sitting.

use super::{
    LiveUnavailable, SaveResult, SessionInit, Snapshot, StagedPaper, StoredAnswer, decode_choice,
    encode_choice,
};
use crate::paper::PaperFace;
use chrono::{DateTime, TimeZone, Utc};
use redis::{
    Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use std::{collections::BTreeMap, sync::Arc, time::Duration};

/// Multiplexed connections per instance (see `RedisSessions::conns`).
const REDIS_CONNECTIONS: usize = 4;

#[derive(Clone)]
pub struct RedisSessions {
    /// A few multiplexed connections; an attempt always uses the same one, so its commands
    /// stay in order, and one slow reply holds up only the attempts behind it on that one.
    conns: Arc<[ConnectionManager]>,
    prefix: String,
    scripts: Arc<Scripts>,
}

struct Scripts {
    open: Script,
    save: Script,
    claim: Script,
    deadline: Script,
}

const OPEN: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'deadline', ARGV[2], 'state', 'open', 'n', ARGV[3])
for i = 4, #ARGV do redis.call('HSET', KEYS[1], 'k:' .. (i - 3), ARGV[i]) end
redis.call('PEXPIREAT', KEYS[1], tonumber(ARGV[2]) + 86400000)
return 1
"#;

// ARGV: user, position, keys (comma separated), seq, now_ms
const SAVE: &str = r#"
local s = redis.call('HMGET', KEYS[1], 'user', 'state', 'deadline', 'n')
if not s[1] or s[1] ~= ARGV[1] then return {'missing'} end
if s[2] ~= 'open' or tonumber(ARGV[5]) > tonumber(s[3]) then return {'closed'} end
local pos = tonumber(ARGV[2])
if pos < 1 or pos > tonumber(s[4]) then return {'no_position'} end
local allowed = redis.call('HGET', KEYS[1], 'k:' .. ARGV[2])
for key in string.gmatch(ARGV[3], '[^,]+') do
  if string.len(key) ~= 1 or not string.find(allowed, key, 1, true) then return {'invalid_key', key} end
end
redis.call('HSET', KEYS[1], 'seen', ARGV[5])
local cur = redis.call('HGET', KEYS[1], 'a:' .. ARGV[2])
if cur then
  local seq = tonumber(string.match(cur, '^(-?%d+)|'))
  if seq >= tonumber(ARGV[4]) then return {'stale', cur} end
end
local v = ARGV[4] .. '|' .. ARGV[3]
redis.call('HSET', KEYS[1], 'a:' .. ARGV[2], v)
return {'ok', v}
"#;

// ARGV: now_ms, lease_ms. Returns the whole hash to the one claimer, else nothing.
const CLAIM: &str = r#"
local s = redis.call('HMGET', KEYS[1], 'state', 'claimed')
if not s[1] then return {} end
if s[1] == 'grading' and tonumber(ARGV[1]) - tonumber(s[2]) < tonumber(ARGV[2]) then return {} end
redis.call('HSET', KEYS[1], 'state', 'grading', 'claimed', ARGV[1])
return redis.call('HGETALL', KEYS[1])
"#;

const DEADLINE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'deadline', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], tonumber(ARGV[1]) + 86400000)
return 1
"#;

fn unavailable(e: redis::RedisError) -> LiveUnavailable {
    LiveUnavailable(e.to_string())
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn parse_answer(v: &str) -> Option<StoredAnswer> {
    let (seq, keys) = v.split_once('|')?;
    Some(StoredAnswer {
        seq: seq.parse().ok()?,
        choice: decode_choice(keys),
    })
}

fn snapshot_of(fields: &[(String, String)]) -> Option<Snapshot> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let user_id = get("user")?.parse().ok()?;
    let mut answers = BTreeMap::new();
    for (k, v) in fields {
        if let Some(pos) = k.strip_prefix("a:")
            && let (Ok(pos), Some(answer)) = (pos.parse::<u32>(), parse_answer(v))
        {
            answers.insert(pos, answer);
        }
    }
    Some(Snapshot {
        user_id,
        deadline: from_ms(get("deadline")?.parse().ok()?),
        open: get("state") == Some("open"),
        answers,
        last_seen: get("seen").and_then(|v| v.parse().ok()).map(from_ms),
    })
}

impl RedisSessions {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?;
        // Bounded waits: a Redis outage must turn into a quick 503, not a hung request.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let mut conns = Vec::with_capacity(REDIS_CONNECTIONS);
        for _ in 0..REDIS_CONNECTIONS {
            conns.push(
                client
                    .get_connection_manager_with_config(config.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("REDIS_URL: cannot connect: {e}"))?,
            );
        }
        Ok(Self {
            conns: conns.into(),
            prefix: prefix.to_string(),
            scripts: Arc::new(Scripts {
                open: Script::new(OPEN),
                save: Script::new(SAVE),
                claim: Script::new(CLAIM),
                deadline: Script::new(DEADLINE),
            }),
        })
    }

    fn conn(&self, attempt_id: i64) -> ConnectionManager {
        self.conns[attempt_id.rem_euclid(self.conns.len() as i64) as usize].clone()
    }

    fn key(&self, attempt_id: i64) -> String {
        format!("{}:att:{{{attempt_id}}}", self.prefix)
    }

    pub async fn ping(&self) -> Result<(), LiveUnavailable> {
        let mut conn = self.conns[0].clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    pub async fn open(&self, init: &SessionInit) -> Result<(), LiveUnavailable> {
        let mut conn = self.conn(init.attempt_id);
        let mut call = self.scripts.open.key(self.key(init.attempt_id));
        call.arg(init.user_id)
            .arg(ms(init.deadline))
            .arg(init.keys.len());
        for keys in &init.keys {
            call.arg(keys);
        }
        call.invoke_async::<i64>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    pub async fn snapshot(&self, attempt_id: i64) -> Result<Option<Snapshot>, LiveUnavailable> {
        let mut conn = self.conn(attempt_id);
        let fields: Vec<(String, String)> = redis::cmd("HGETALL")
            .arg(self.key(attempt_id))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(snapshot_of(&fields))
    }

    pub async fn save(
        &self,
        attempt_id: i64,
        user_id: i64,
        position: u32,
        choice: &[String],
        seq: i64,
        now: DateTime<Utc>,
    ) -> Result<SaveResult, LiveUnavailable> {
        let mut conn = self.conn(attempt_id);
        let reply: Vec<String> = self
            .scripts
            .save
            .key(self.key(attempt_id))
            .arg(user_id)
            .arg(position)
            .arg(encode_choice(choice))
            .arg(seq)
            .arg(ms(now))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let answer = |i: usize| reply.get(i).and_then(|v| parse_answer(v));
        Ok(match reply.first().map(String::as_str) {
            Some("ok") => {
                SaveResult::Stored(answer(1).ok_or_else(|| LiveUnavailable("bad reply".into()))?)
            }
            Some("stale") => {
                SaveResult::Stale(answer(1).ok_or_else(|| LiveUnavailable("bad reply".into()))?)
            }
            Some("closed") => SaveResult::Closed,
            Some("no_position") => SaveResult::NoPosition,
            Some("invalid_key") => {
                SaveResult::InvalidKey(reply.get(1).cloned().unwrap_or_default())
            }
            _ => SaveResult::Missing,
        })
    }

    pub async fn set_deadline(
        &self,
        attempt_id: i64,
        deadline: DateTime<Utc>,
    ) -> Result<(), LiveUnavailable> {
        let mut conn = self.conn(attempt_id);
        self.scripts
            .deadline
            .key(self.key(attempt_id))
            .arg(ms(deadline))
            .invoke_async::<i64>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    pub async fn claim(
        &self,
        attempt_id: i64,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<Snapshot>, LiveUnavailable> {
        let mut conn = self.conn(attempt_id);
        let flat: Vec<String> = self
            .scripts
            .claim
            .key(self.key(attempt_id))
            .arg(ms(now))
            .arg(lease.num_milliseconds())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let fields: Vec<(String, String)> = flat
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .collect();
        Ok(snapshot_of(&fields))
    }

    pub async fn remove(&self, attempt_id: i64) -> Result<(), LiveUnavailable> {
        let mut conn = self.conn(attempt_id);
        redis::cmd("DEL")
            .arg(self.key(attempt_id))
            .query_async::<i64>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    fn paper_key(&self, sitting_id: i64, user_id: i64) -> String {
        format!("{}:paper:{{{sitting_id}:{user_id}}}", self.prefix)
    }

    /// True the first time it is asked for a sitting until `until` (so one instance stages
    /// a sitting's papers once, not every instance on every round of the job).
    pub async fn mark_staged(
        &self,
        sitting_id: i64,
        until: DateTime<Utc>,
    ) -> Result<bool, LiveUnavailable> {
        let mut conn = self.conn(sitting_id);
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{}:staged:{{{sitting_id}}}", self.prefix))
            .arg(1)
            .arg("NX")
            .arg("PXAT")
            .arg(ms(until))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(set.is_some())
    }

    pub async fn stage_papers(
        &self,
        sitting_id: i64,
        until: DateTime<Utc>,
        papers: &[(i64, StagedPaper)],
    ) -> Result<(), LiveUnavailable> {
        let mut conn = self.conn(sitting_id);
        let mut pipe = redis::pipe();
        for (user_id, paper) in papers {
            let key = self.paper_key(sitting_id, *user_id);
            pipe.cmd("HSET")
                .arg(&key)
                .arg("reg")
                .arg(paper.registration_id)
                .arg("q")
                .arg(&paper.face.questions_json)
                .arg("keys")
                .arg(paper.face.option_keys.join(","))
                .arg("max")
                .arg(paper.face.max_score)
                .ignore();
            pipe.cmd("PEXPIREAT").arg(&key).arg(ms(until)).ignore();
        }
        pipe.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    pub async fn staged_paper(
        &self,
        sitting_id: i64,
        user_id: i64,
    ) -> Result<Option<StagedPaper>, LiveUnavailable> {
        let mut conn = self.conn(user_id);
        let (registration_id, questions_json, keys, max_score): (
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<f64>,
        ) = redis::cmd("HMGET")
            .arg(self.paper_key(sitting_id, user_id))
            .arg("reg")
            .arg("q")
            .arg("keys")
            .arg("max")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(match (registration_id, questions_json, keys, max_score) {
            (Some(registration_id), Some(questions_json), Some(keys), Some(max_score)) => {
                Some(StagedPaper {
                    registration_id,
                    face: PaperFace {
                        questions_json,
                        option_keys: keys.split(',').map(str::to_string).collect(),
                        max_score,
                    },
                })
            }
            _ => None,
        })
    }

    pub async fn touch(&self, attempt_id: i64, now: DateTime<Utc>) -> Result<(), LiveUnavailable> {
        let mut conn = self.conn(attempt_id);
        redis::cmd("HSET")
            .arg(self.key(attempt_id))
            .arg("seen")
            .arg(ms(now))
            .query_async::<i64>(&mut conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}
