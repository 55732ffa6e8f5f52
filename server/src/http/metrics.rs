//! Request metrics on [`prometheus_client`], served at `GET /metrics` in the
//! OpenMetrics text format (which Prometheus scrapes natively).
//!
//! - `palisade_http_requests_total{method,route,status}`: counter;
//! - `palisade_http_request_duration_seconds{method,route}`: histogram;
//! - `palisade_shares_created_total{store}`: counter;
//! - `palisade_build_info{version}`: always 1.
//!
//! Every label has a bounded set of values, whatever clients send: `method`
//! is one of the nine standard methods or `OTHER` (extension methods such as
//! `PURGE` or random tokens all land there), `route` is the router's
//! template (`/api/shares/{id}`), never the raw path, and `static` for
//! everything the fallback serves, and `status` is the class (`2xx` … `5xx`).

use std::fmt::Write as _;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::http::AppState;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The content type of the exposition.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// An HTTP method as a label: the standard ones by name, anything else `OTHER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(clippy::upper_case_acronyms)]
pub enum MethodLabel {
    GET,
    HEAD,
    POST,
    PUT,
    DELETE,
    CONNECT,
    OPTIONS,
    TRACE,
    PATCH,
    OTHER,
}

impl MethodLabel {
    /// The label for `method`.
    pub fn of(method: &axum::http::Method) -> Self {
        use axum::http::Method;
        match *method {
            Method::GET => MethodLabel::GET,
            Method::HEAD => MethodLabel::HEAD,
            Method::POST => MethodLabel::POST,
            Method::PUT => MethodLabel::PUT,
            Method::DELETE => MethodLabel::DELETE,
            Method::CONNECT => MethodLabel::CONNECT,
            Method::OPTIONS => MethodLabel::OPTIONS,
            Method::TRACE => MethodLabel::TRACE,
            Method::PATCH => MethodLabel::PATCH,
            _ => MethodLabel::OTHER,
        }
    }
}

/// An HTTP status class (`1xx` … `5xx`) as a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusClass(u8);

impl StatusClass {
    /// The class of `status` (codes outside 100–599 count as `5xx`).
    pub fn of(status: u16) -> Self {
        match status / 100 {
            class @ 1..=5 => StatusClass(class as u8),
            _ => StatusClass(5),
        }
    }
}

impl EncodeLabelValue for StatusClass {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        write!(encoder, "{}xx", self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: MethodLabel,
    route: String,
    status: StatusClass,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DurationLabels {
    method: MethodLabel,
    route: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StoreLabels {
    store: &'static str,
}

type HistogramFamily = Family<DurationLabels, Histogram, fn() -> Histogram>;

/// The server's metrics and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily,
    shares: Family<StoreLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "palisade_http_requests",
            "HTTP requests answered, by method, route and status class",
            requests.clone(),
        );
        let durations: HistogramFamily = Family::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register(
            "palisade_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route",
            durations.clone(),
        );
        let shares = Family::<StoreLabels, Counter>::default();
        registry.register(
            "palisade_shares_created",
            "Shares stored, by store",
            shares.clone(),
        );
        for store in ["sqlite", "gist", "postgres"] {
            let _ = shares.get_or_create(&StoreLabels { store });
        }
        registry.register(
            "palisade_build",
            "Version of the running server",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        Metrics {
            registry,
            requests,
            durations,
            shares,
        }
    }
}

impl Metrics {
    /// Records one finished request under its route template.
    pub fn record(&self, method: MethodLabel, route: &str, status: u16, seconds: f64) {
        let route = route.to_owned();
        self.durations
            .get_or_create(&DurationLabels {
                method,
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status: StatusClass::of(status),
            })
            .inc();
    }

    /// Counts a share stored in `store` (`sqlite`, `gist`, `postgres`; any
    /// other name counts as `other`).
    pub fn share_created(&self, store: &str) {
        let store = match store {
            "sqlite" => "sqlite",
            "gist" => "gist",
            "postgres" => "postgres",
            _ => "other",
        };
        self.shares.get_or_create(&StoreLabels { store }).inc();
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Middleware timing every request and counting it under its route template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = MethodLabel::of(request.method());
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("static", MatchedPath::as_str);
    state.metrics().record(
        method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn metrics_handler(State(state): State<AppState>) -> Response {
    let mut response = state.metrics().render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let metrics = Metrics::default();
        metrics.record(MethodLabel::POST, "/api/check", 200, 0.0007);
        metrics.record(MethodLabel::POST, "/api/check", 400, 0.02);
        metrics.share_created("sqlite");
        let text = metrics.render();
        assert!(text.contains(
            "palisade_http_requests_total{method=\"POST\",route=\"/api/check\",status=\"2xx\"} 1\n"
        ));
        assert!(text.contains(
            "palisade_http_requests_total{method=\"POST\",route=\"/api/check\",status=\"4xx\"} 1\n"
        ));
        assert!(
            text.contains("{le=\"0.0005\",method=\"POST\",route=\"/api/check\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("{le=\"0.001\",method=\"POST\",route=\"/api/check\"} 1\n"));
        assert!(text.contains("{le=\"0.025\",method=\"POST\",route=\"/api/check\"} 2\n"));
        assert!(text.contains("{le=\"+Inf\",method=\"POST\",route=\"/api/check\"} 2\n"));
        assert!(text.contains(
            "palisade_http_request_duration_seconds_count{method=\"POST\",route=\"/api/check\"} 2\n"
        ));
        assert!(text.contains("palisade_shares_created_total{store=\"sqlite\"} 1\n"));
        assert!(text.contains("palisade_shares_created_total{store=\"gist\"} 0\n"));
        assert!(text.contains("palisade_build_info{version=\""));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn label_values_stay_bounded_whatever_the_method_and_status() {
        let metrics = Metrics::default();
        // A client inventing methods and servers answering odd codes: the
        // series set still stays within methods × routes × classes.
        for n in 0..500u32 {
            let method = Method::from_bytes(format!("X{n}").as_bytes()).unwrap();
            metrics.record(
                MethodLabel::of(&method),
                "static",
                100 + (n % 500) as u16,
                0.001,
            );
        }
        for method in [Method::GET, Method::POST, Method::PATCH] {
            metrics.record(MethodLabel::of(&method), "static", 200, 0.001);
        }
        metrics.share_created("../../etc/passwd");
        let text = metrics.render();
        let series = text
            .lines()
            .filter(|line| line.starts_with("palisade_http_requests_total{"))
            .count();
        // OTHER × 5 classes, plus GET, POST and PATCH × 2xx.
        assert_eq!(series, 8, "{text}");
        assert!(text.contains("method=\"OTHER\""));
        assert!(!text.contains("X17"));
        assert!(text.contains("palisade_shares_created_total{store=\"other\"} 1\n"));
        assert!(!text.contains("passwd"));
    }

    #[test]
    fn status_classes() {
        assert_eq!(StatusClass::of(200), StatusClass(2));
        assert_eq!(StatusClass::of(404), StatusClass(4));
        assert_eq!(StatusClass::of(599), StatusClass(5));
        assert_eq!(
            StatusClass::of(99),
            StatusClass(5),
            "out of range counts as a server error"
        );
        assert_eq!(StatusClass::of(700), StatusClass(5));
    }
}
