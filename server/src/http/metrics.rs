//! Request metrics in the Prometheus text exposition format (`GET /metrics`).
//!
//! - `palisade_http_requests_total{method,route,status}`: counter;
//! - `palisade_http_request_duration_seconds{method,route}`: histogram;
//! - `palisade_shares_created_total{store}`: counter;
//! - `palisade_build_info{version}`: gauge, always 1.
//!
//! `route` is the route template (`/api/shares/{id}`), never the raw path, so
//! the number of series stays bounded; everything the fallback serves is `static`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::AppState;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    /// Route → method → counters (looked up without allocating).
    routes: Mutex<HashMap<String, HashMap<String, RouteStats>>>,
    shares_sqlite: AtomicU64,
    shares_postgres: AtomicU64,
    shares_gist: AtomicU64,
}

impl Metrics {
    /// Records one finished request.
    pub fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), HashMap::new());
        }
        let by_method = routes.get_mut(route).expect("inserted above");
        if !by_method.contains_key(method) {
            by_method.insert(method.to_owned(), RouteStats::default());
        }
        let stats = by_method.get_mut(method).expect("inserted above");
        *stats.by_status.entry(status).or_default() += 1;
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            stats.buckets[bucket] += 1;
        }
        stats.sum_seconds += seconds;
        stats.count += 1;
    }

    /// Counts a share stored in `store` (`sqlite`, `postgres` or `gist`).
    pub fn share_created(&self, store: &str) {
        let counter = match store {
            "gist" => &self.shares_gist,
            "postgres" => &self.shares_postgres,
            _ => &self.shares_sqlite,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut keys: Vec<(&String, &String)> = routes
            .iter()
            .flat_map(|(route, by_method)| by_method.keys().map(move |method| (method, route)))
            .collect();
        keys.sort();
        let stats_of = |(method, route): (&String, &String)| &routes[route][method];

        out.push_str(
            "# HELP palisade_http_requests_total HTTP requests answered, by route and status.\n",
        );
        out.push_str("# TYPE palisade_http_requests_total counter\n");
        for key in &keys {
            for (status, count) in &stats_of(*key).by_status {
                let (method, route) = key;
                let _ = writeln!(
                    out,
                    "palisade_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(method),
                    escape(route)
                );
            }
        }

        out.push_str("# HELP palisade_http_request_duration_seconds Time to answer HTTP requests, by route.\n");
        out.push_str("# TYPE palisade_http_request_duration_seconds histogram\n");
        for key in &keys {
            let stats = stats_of(*key);
            let labels = format!("method=\"{}\",route=\"{}\"", escape(key.0), escape(key.1));
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(stats.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "palisade_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "palisade_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "palisade_http_request_duration_seconds_sum{{{labels}}} {}",
                stats.sum_seconds
            );
            let _ = writeln!(
                out,
                "palisade_http_request_duration_seconds_count{{{labels}}} {}",
                stats.count
            );
        }
        drop(routes);

        out.push_str("# HELP palisade_shares_created_total Shares stored, by store.\n");
        out.push_str("# TYPE palisade_shares_created_total counter\n");
        let _ = writeln!(
            out,
            "palisade_shares_created_total{{store=\"sqlite\"}} {}",
            self.shares_sqlite.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "palisade_shares_created_total{{store=\"postgres\"}} {}",
            self.shares_postgres.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "palisade_shares_created_total{{store=\"gist\"}} {}",
            self.shares_gist.load(Ordering::Relaxed)
        );

        out.push_str("# HELP palisade_build_info Version of the running server.\n");
        out.push_str("# TYPE palisade_build_info gauge\n");
        let _ = writeln!(
            out,
            "palisade_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

/// Escapes a label value for the text format.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware timing every request and counting it under its route template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("static", MatchedPath::as_str);
    state.metrics().record(
        method.as_str(),
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn metrics_handler(State(state): State<AppState>) -> Response {
    let mut response = state.metrics().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let metrics = Metrics::default();
        metrics.record("POST", "/api/check", 200, 0.0007);
        metrics.record("POST", "/api/check", 400, 0.02);
        metrics.share_created("sqlite");
        metrics.share_created("postgres");
        let text = metrics.render();
        assert!(text.contains(
            "palisade_http_requests_total{method=\"POST\",route=\"/api/check\",status=\"200\"} 1\n"
        ));
        assert!(text.contains(
            "palisade_http_requests_total{method=\"POST\",route=\"/api/check\",status=\"400\"} 1\n"
        ));
        assert!(text.contains("route=\"/api/check\",le=\"0.0005\"} 0\n"));
        assert!(text.contains("route=\"/api/check\",le=\"0.001\"} 1\n"));
        assert!(text.contains("route=\"/api/check\",le=\"0.025\"} 2\n"));
        assert!(text.contains("route=\"/api/check\",le=\"+Inf\"} 2\n"));
        assert!(text.contains(
            "palisade_http_request_duration_seconds_count{method=\"POST\",route=\"/api/check\"} 2\n"
        ));
        assert!(text.contains("palisade_shares_created_total{store=\"sqlite\"} 1\n"));
        assert!(text.contains("palisade_shares_created_total{store=\"postgres\"} 1\n"));
    }
}
