//! Choosing pods to look at: the cluster view's namespace and label filters
//! and its axes, as pure functions the page calls.

use super::{Cluster, EndpointId, Labels};

/// Whether `labels` match a filter of comma-separated `key=value` or bare
/// `key` terms (all must hold; an empty filter matches everything).
pub fn labels_match(labels: &Labels, filter: &str) -> bool {
    filter
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .all(|f| match f.split_once('=') {
            Some((k, v)) => labels.get(k.trim()).is_some_and(|x| x == v.trim()),
            None => labels.contains_key(f),
        })
}

/// The pods a heat map draws after its filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodAxes {
    /// Every pod matching the filters (what a namespace summary counts).
    pub filtered: Vec<EndpointId>,
    /// Source pods drawn, at most the axis limit.
    pub rows: Vec<EndpointId>,
    /// Destination pods drawn, at most the axis limit.
    pub cols: Vec<EndpointId>,
    /// Source pods before the limit.
    pub matching_rows: usize,
    /// Destination pods before the limit.
    pub matching_cols: usize,
}

/// The cluster view's filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodFilter {
    /// Only this namespace (`""`: every namespace).
    pub namespace: String,
    /// A label filter for [`labels_match`].
    pub labels: String,
    /// Rows from one namespace, columns from another (a namespace cell
    /// opened as pods).
    pub focus: Option<(String, String)>,
}

impl PodFilter {
    /// The pods matching the filters, and the rows and columns to draw, at
    /// most `max_axis` each, in cluster order.
    pub fn axes(&self, cluster: &Cluster, max_axis: usize) -> PodAxes {
        let filtered: Vec<EndpointId> = cluster
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                (self.namespace.is_empty() || p.namespace == self.namespace)
                    && labels_match(&p.labels, &self.labels)
            })
            .map(|(i, _)| EndpointId(i))
            .collect();
        let in_ns = |want: Option<&String>| -> Vec<EndpointId> {
            filtered
                .iter()
                .copied()
                .filter(|id| want.is_none_or(|w| cluster.pods[id.0].namespace == *w))
                .collect()
        };
        let rows = in_ns(self.focus.as_ref().map(|f| &f.0));
        let cols = in_ns(self.focus.as_ref().map(|f| &f.1));
        PodAxes {
            matching_rows: rows.len(),
            matching_cols: cols.len(),
            rows: rows.into_iter().take(max_axis).collect(),
            cols: cols.into_iter().take(max_axis).collect(),
            filtered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::PodInfo;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_terms_all_hold() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        assert!(labels_match(&l, ""));
        assert!(labels_match(&l, "app=web"));
        assert!(labels_match(&l, " app = web , tier"));
        assert!(!labels_match(&l, "app=web,tier=back"));
        assert!(!labels_match(&l, "version"));
    }

    #[test]
    fn axes_follow_namespace_labels_focus_and_limit() {
        let mut c = Cluster::new();
        for (ns, name, app) in [
            ("a", "a1", "web"),
            ("a", "a2", "db"),
            ("b", "b1", "web"),
            ("b", "b2", "web"),
        ] {
            c.add_pod(PodInfo::new(ns, name, labels(&[("app", app)])));
        }
        let all = PodFilter::default().axes(&c, 10);
        assert_eq!(all.filtered.len(), 4);
        let web = PodFilter {
            labels: "app=web".into(),
            ..Default::default()
        }
        .axes(&c, 2);
        assert_eq!(
            web.filtered,
            vec![EndpointId(0), EndpointId(2), EndpointId(3)]
        );
        assert_eq!((web.rows.len(), web.matching_rows), (2, 3));
        let focused = PodFilter {
            focus: Some(("a".into(), "b".into())),
            ..Default::default()
        }
        .axes(&c, 10);
        assert_eq!(focused.rows, vec![EndpointId(0), EndpointId(1)]);
        assert_eq!(focused.cols, vec![EndpointId(2), EndpointId(3)]);
        let ns_b = PodFilter {
            namespace: "b".into(),
            ..Default::default()
        }
        .axes(&c, 10);
        assert_eq!(ns_b.filtered, vec![EndpointId(2), EndpointId(3)]);
    }
}
