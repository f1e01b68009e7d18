//! `cargo loco task perf:submit [base:http://127.0.0.1:5150]
//! [concurrency:200] [seconds:10] [rate:N]`: load test of the busiest write. With
//! the app running (release build, same database and config), it prepares
//! checked-in visits for `worker@doudi.test`, then keeps `concurrency`
//! connections busy on 127.0.0.1 submitting completed visits (3 service
//! and 2 material lines each), and in the same run measures `/_ping` the
//! same way. Prints throughput and p50 / p99 / max latency of both. With
//! `rate`, a third run paces the submitters to N submissions per second
//! in all (open loop) and reports latency at that load.
//! Loopback only: the base must be a 127.0.0.1 address.
use crate::domain::visit::VisitStatus;
use crate::models::_entities::{recipients, users, visits};
use loco_rs::{environment::Environment, prelude::*};
use sea_orm::ActiveValue::Set;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub struct PerfSubmit;

/// One HTTP/1.1 exchange on a kept-alive connection; returns the status.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<u16> {
    stream.write_all(request).await?;
    buf.clear();
    let mut chunk = [0u8; 8192];
    // Headers.
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(len) => {
            while buf.len() < head_end + len {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
        }
        None => {
            // Chunked: read until the last chunk.
            while !buf[head_end..].windows(5).any(|w| w == b"0\r\n\r\n") {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
        }
    }
    Ok(status)
}

#[derive(Debug, Default)]
struct Run {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Run {
    fn report(&mut self, label: &str) {
        self.latencies.sort_unstable();
        let n = self.latencies.len();
        let at = |q: f64| {
            self.latencies
                .get(((n as f64 * q) as usize).min(n.saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{label}: {n} requests in {:.1} s = {:.0}/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} errors",
            self.elapsed.as_secs_f64(),
            n as f64 / self.elapsed.as_secs_f64(),
            at(0.50),
            at(0.99),
            self.latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
            self.errors
        );
    }
}

/// Keeps `concurrency` connections busy for `seconds`, each sending the
/// request `make` builds (or stopping when it has none). With `rate`
/// (requests per second over all connections) each connection sends on a
/// fixed schedule instead of as fast as it can (an open loop: 200 phones
/// each submitting now and then), and latency counts from the scheduled
/// time, so a stalled server is not hidden by requests not sent.
async fn load(
    addr: &str,
    concurrency: usize,
    seconds: u64,
    rate: Option<f64>,
    make: Arc<dyn Fn() -> Option<Vec<u8>> + Send + Sync>,
) -> Run {
    let results = Arc::new(Mutex::new(Run::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let interval = rate.map(|r| Duration::from_secs_f64(concurrency as f64 / r.max(0.001)));
    let mut tasks = Vec::new();
    for i in 0..concurrency {
        let (addr, make, results) = (addr.to_string(), make.clone(), results.clone());
        // Connections start spread over one interval.
        let mut next = interval.map(|d| started + d.mul_f64(i as f64 / concurrency as f64));
        tasks.push(tokio::spawn(async move {
            let Ok(mut stream) = TcpStream::connect(&addr).await else {
                if let Ok(mut r) = results.lock() {
                    r.errors += 1;
                }
                return;
            };
            let _ = stream.set_nodelay(true);
            let mut buf = Vec::with_capacity(16 * 1024);
            let mut mine = Vec::new();
            let mut errors = 0;
            while Instant::now() < until {
                let t = match (next, interval) {
                    (Some(at), Some(_)) if at >= until => break,
                    (Some(at), Some(d)) => {
                        tokio::time::sleep_until(at.into()).await;
                        next = Some(at + d);
                        at
                    }
                    _ => Instant::now(),
                };
                if t >= until {
                    break;
                }
                let Some(req) = make() else { break };
                match exchange(&mut stream, &req, &mut buf).await {
                    Ok(s) if s < 400 => mine.push(t.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        match TcpStream::connect(&addr).await {
                            Ok(s) => stream = s,
                            Err(_) => break,
                        }
                    }
                }
            }
            if let Ok(mut r) = results.lock() {
                r.latencies.extend(mine);
                r.errors += errors;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut run = std::mem::take(
        &mut *results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    run.elapsed = started.elapsed();
    run
}

fn post(host: &str, path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[async_trait]
impl Task for PerfSubmit {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "perf:submit".to_string(),
            detail: "Load test of visit submissions against a running app: perf:submit [base:http://127.0.0.1:5150] [concurrency:200] [seconds:10] [rate:N]".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &task::Vars) -> Result<()> {
        if ctx.environment == Environment::Production {
            return Err(Error::string("perf:submit never runs in production"));
        }
        let base = vars
            .cli_arg("base")
            .map_or_else(|_| "http://127.0.0.1:5150".to_string(), str::to_string);
        let host = base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        if !host.starts_with("127.0.0.1:") {
            return Err(Error::string("perf:submit only loads 127.0.0.1"));
        }
        let concurrency: usize = vars
            .cli_arg("concurrency")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let seconds: u64 = vars
            .cli_arg("seconds")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10);
        let rate: Option<f64> = vars.cli_arg("rate").ok().and_then(|s| s.parse().ok());
        let db = &ctx.db;
        let worker = users::Model::find_by_email(db, "worker@doudi.test")
            .await
            .map_err(|e| Error::string(&e.to_string()))?
            .ok_or_else(|| Error::string("run demo:seed first"))?;
        let jwt = ctx.config.get_jwt_config()?;
        let token = worker
            .generate_token(&jwt.secret, jwt.expiration)
            .map_err(|e| Error::string(&e.to_string()))?;
        let r = recipients::Entity::find()
            .filter(recipients::Column::Name.eq("单秀英"))
            .one(db)
            .await?
            .ok_or_else(|| Error::string("run demo:seed first"))?;
        // Enough checked-in visits for the run (about 2,000/s at most).
        let n = (seconds as usize * 2500).max(2000);
        let now = chrono::Utc::now();
        let rows: Vec<visits::ActiveModel> = (0..n)
            .map(|i| visits::ActiveModel {
                pid: Set(uuid::Uuid::new_v4()),
                organization_id: Set(worker.organization_id.unwrap_or_default()),
                recipient_id: Set(Some(r.id)),
                household_id: Set(r.household_id),
                township_id: Set(r.township_id),
                worker_id: Set(Some(worker.id)),
                starts_at: Set((now
                    - chrono::Duration::minutes(i64::try_from(i % 600).unwrap_or(0)))
                .into()),
                ends_at: Set((now + chrono::Duration::hours(1)).into()),
                tzid: Set("Asia/Shanghai".into()),
                status: Set(VisitStatus::InProgress.as_str().into()),
                exception: Set(false),
                checked_in_at: Set(Some((now - chrono::Duration::minutes(70)).into())),
                location_exception: Set(true),
                location_reason: Set(Some("no_gps_signal".into())),
                late: Set(false),
                ad_hoc_reason: Set(Some("perf:submit".into())),
                ..Default::default()
            })
            .collect();
        let pids: Vec<uuid::Uuid> = rows
            .iter()
            .filter_map(|m| match &m.pid {
                sea_orm::ActiveValue::Set(p) => Some(*p),
                _ => None,
            })
            .collect();
        for chunk in rows.chunks(500) {
            visits::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(db)
                .await?;
        }
        println!("{n} checked-in visits ready; {concurrency} connections, {seconds} s each run");
        let ping_req = format!("GET /_ping HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes();
        let mut ping = load(
            &host,
            concurrency,
            seconds,
            None,
            Arc::new(move || Some(ping_req.clone())),
        )
        .await;
        ping.report("GET /_ping");
        let queue = Arc::new(Mutex::new(pids));
        let body = serde_json::json!({
            "outcome": "completed",
            "services": [
                {"service": "daily_care", "minutes": 30},
                {"service": "emotional_support", "minutes": 20},
                {"service": "home_visit", "minutes": 10},
            ],
            "materials": [
                {"item": "大米", "category": "food", "quantity": 10, "unit": "斤", "value": "35.50", "funding": "contract"},
                {"item": "棉被", "category": "clothing", "quantity": 1, "unit": "床", "value": "120", "funding": "donation", "donor": "巴中市慈善总会"},
            ],
            "notes": "perf",
            "no_confirmation_reason": "cannot_write",
        });
        let make = {
            let (host, token, queue) = (host.clone(), token.clone(), queue.clone());
            Arc::new(move || {
                let pid = queue.lock().ok()?.pop()?;
                let mut b = body.clone();
                b["client_id"] = serde_json::json!(uuid::Uuid::new_v4());
                Some(post(
                    &host,
                    &format!("/api/v1/visits/{pid}/submission"),
                    &token,
                    &b.to_string(),
                ))
            })
        };
        if let Some(r) = rate {
            let mut paced = load(&host, concurrency, seconds, Some(r), make.clone()).await;
            paced.report(&format!(
                "POST /api/v1/visits/{{pid}}/submission (3 service + 2 material lines), {concurrency} submitters sending {r}/s together"
            ));
        }
        let mut submit = load(&host, concurrency, seconds, None, make).await;
        submit.report("the same, as fast as they go");
        let left = queue.lock().map(|q| q.len()).unwrap_or(0);
        // The rest of the prepared visits are not needed.
        let unused: Vec<uuid::Uuid> = queue.lock().map(|q| q.clone()).unwrap_or_default();
        for chunk in unused.chunks(500) {
            visits::Entity::delete_many()
                .filter(visits::Column::Pid.is_in(chunk.to_vec()))
                .exec(db)
                .await?;
        }
        println!("ratio: submissions run at {:.1}% of /_ping's rate; {left} prepared visits unused (removed)",
            100.0 * submit.latencies.len() as f64 / submit.elapsed.as_secs_f64()
                / (ping.latencies.len() as f64 / ping.elapsed.as_secs_f64()));
        Ok(())
    }
}
