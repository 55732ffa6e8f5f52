//! Hubble's JSON wire format, as borrowed serde structs.
//!
//! Keys are protobuf field names (`IP`, `traffic_direction`, `is_reply`), as
//! `hubble observe -o json` prints them; the lowerCamelCase names of the
//! default protojson mapping (`trafficDirection`, `isReply`) are accepted as
//! aliases. Every field is optional because exporters can mask fields out.
//!
//! Nothing here allocates for well-formed input without escapes: strings are
//! `Cow<str>` borrowed from the input, endpoints are kept as raw JSON (they
//! are interned by their bytes and decoded only the first time they are
//! seen), and everything the generator does not need is skipped with
//! [`serde::de::IgnoredAny`].

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{IgnoredAny, Visitor};
use serde_json::value::RawValue;

use super::event::TextToken;

/// One input record. A `GetFlowsResponse` wrapper
/// (`{"flow": {...}, "node_name": ..., "time": ...}`) and a bare Flow share
/// this struct, so one pass over the bytes decides which it is: `flow` set
/// means a wrapper, one of the event keys means a skipped non-flow response,
/// anything else is read as a bare Flow.
/// Declares a struct with every Flow field this crate reads, plus `extra`
/// fields; used twice so that the wrapper's `flow` needs no allocation.
macro_rules! flow_struct {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Deserialize, Default)]
        pub(crate) struct $name<'a> {
            $($extra)*

            /// RFC 3339 timestamp.
            #[serde(borrow, default)]
            pub time: Option<Cow<'a, str>>,
            #[serde(borrow, default)]
            pub verdict: Option<Enumish<'a>>,
            #[serde(borrow, default, rename = "IP")]
            pub ip: Option<Ip<'a>>,
            #[serde(default)]
            pub l4: Option<Layer4>,
            #[serde(borrow, default)]
            pub source: Option<RawJson<'a>>,
            #[serde(borrow, default)]
            pub destination: Option<RawJson<'a>>,
            #[serde(borrow, default, rename = "Type", alias = "type")]
            pub flow_type: Option<Enumish<'a>>,
            #[serde(borrow, default)]
            pub l7: Option<Layer7<'a>>,
            #[serde(borrow, default, alias = "trafficDirection")]
            pub traffic_direction: Option<Enumish<'a>>,
            #[serde(default, alias = "isReply")]
            pub is_reply: Option<bool>,
            /// Deprecated predecessor of `is_reply`.
            #[serde(default)]
            pub reply: Option<bool>,
            #[serde(borrow, default, alias = "destinationNames")]
            pub destination_names: Option<RawJson<'a>>,
        }

        impl<'a> $name<'a> {
            /// Each Flow field, to be filled in place.
            pub(super) fn fields_mut(&mut self) -> FlowFieldsMut<'_, 'a> {
                FlowFieldsMut {
                    time: &mut self.time,
                    verdict: &mut self.verdict,
                    ip: &mut self.ip,
                    l4: &mut self.l4,
                    source: &mut self.source,
                    destination: &mut self.destination,
                    flow_type: &mut self.flow_type,
                    l7: &mut self.l7,
                    traffic_direction: &mut self.traffic_direction,
                    is_reply: &mut self.is_reply,
                    reply: &mut self.reply,
                    destination_names: &mut self.destination_names,
                }
            }
        }

        #[allow(dead_code)]
        impl $name<'_> {
            /// Whether any Flow field is present (a bare Flow must have one).
            pub(super) fn has_flow_fields(&self) -> bool {
                self.verdict.is_some()
                    || self.ip.is_some()
                    || self.l4.is_some()
                    || self.source.is_some()
                    || self.destination.is_some()
                    || self.flow_type.is_some()
                    || self.l7.is_some()
                    || self.traffic_direction.is_some()
            }
        }
    };
}

/// The Flow fields of a [`Record`] or a [`Flow`], borrowed for writing.
pub(crate) struct FlowFieldsMut<'r, 'a> {
    pub time: &'r mut Option<Cow<'a, str>>,
    pub verdict: &'r mut Option<Enumish<'a>>,
    pub ip: &'r mut Option<Ip<'a>>,
    pub l4: &'r mut Option<Layer4>,
    pub source: &'r mut Option<RawJson<'a>>,
    pub destination: &'r mut Option<RawJson<'a>>,
    pub flow_type: &'r mut Option<Enumish<'a>>,
    pub l7: &'r mut Option<Layer7<'a>>,
    pub traffic_direction: &'r mut Option<Enumish<'a>>,
    pub is_reply: &'r mut Option<bool>,
    pub reply: &'r mut Option<bool>,
    pub destination_names: &'r mut Option<RawJson<'a>>,
}

flow_struct! {
    /// One input record. A `GetFlowsResponse` wrapper
    /// (`{"flow": {...}, "node_name": ..., "time": ...}`) and a bare Flow share
    /// this struct, so one pass over the bytes decides which it is: `flow` set
    /// means a wrapper, one of the event keys means a skipped non-flow response,
    /// anything else is read as a bare Flow.
    Record {
        /// The wrapped flow.
        #[serde(borrow, default)]
        pub flow: Option<Flow<'a>>,
        /// `node_status`, `lost_events`, `agent_event`, `debug_event`: skipped.
        #[serde(default, alias = "nodeStatus")]
        pub node_status: Option<IgnoredAny>,
        #[serde(default, alias = "lostEvents")]
        pub lost_events: Option<IgnoredAny>,
        #[serde(default, alias = "agentEvent")]
        pub agent_event: Option<IgnoredAny>,
        #[serde(default, alias = "debugEvent")]
        pub debug_event: Option<IgnoredAny>,
    }
}

flow_struct! {
    /// A Flow.
    Flow {}
}

impl Record<'_> {
    /// Whether this is a non-flow response (`node_status`, …).
    pub(super) fn is_other_event(&self) -> bool {
        self.node_status.is_some()
            || self.lost_events.is_some()
            || self.agent_event.is_some()
            || self.debug_event.is_some()
    }
}

/// A JSON value's text, borrowed from the input: what serde_json's
/// [`RawValue`] holds, and what the fast path ([`super::skim`]) finds. The
/// fast path also names an object it has read before by a token.
#[derive(Clone, Copy)]
pub(crate) struct RawJson<'a>(pub &'a str, pub Option<TextToken>);

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|raw| RawJson(raw.get(), None))
    }
}

/// `IP` of a Flow.
#[derive(Deserialize, Default)]
pub(crate) struct Ip<'a> {
    #[serde(borrow, default)]
    pub source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub destination: Option<Cow<'a, str>>,
}

/// `l4` of a Flow: exactly one protocol is normally set.
#[derive(Deserialize, Default)]
pub(crate) struct Layer4 {
    #[serde(default, rename = "TCP")]
    pub tcp: Option<Ports>,
    #[serde(default, rename = "UDP")]
    pub udp: Option<Ports>,
    #[serde(default, rename = "SCTP")]
    pub sctp: Option<Ports>,
    #[serde(default, rename = "ICMPv4")]
    pub icmpv4: Option<Icmp>,
    #[serde(default, rename = "ICMPv6")]
    pub icmpv6: Option<Icmp>,
}

/// TCP/UDP/SCTP ports.
#[derive(Deserialize, Default)]
pub(crate) struct Ports {
    #[serde(default, alias = "sourcePort")]
    pub source_port: Option<u32>,
    #[serde(default, alias = "destinationPort")]
    pub destination_port: Option<u32>,
}

/// ICMP type and code.
#[derive(Deserialize, Default)]
pub(crate) struct Icmp {
    #[serde(default, rename = "type")]
    pub icmp_type: Option<u32>,
}

/// `l7` of a Flow.
#[derive(Deserialize, Default)]
pub(crate) struct Layer7<'a> {
    /// `REQUEST`, `RESPONSE`, `SAMPLE`.
    #[serde(borrow, default, rename = "type")]
    pub l7_type: Option<Enumish<'a>>,
    #[serde(borrow, default)]
    pub http: Option<Http<'a>>,
    #[serde(borrow, default)]
    pub dns: Option<Dns<'a>>,
}

/// `l7.http`.
#[derive(Deserialize, Default)]
pub(crate) struct Http<'a> {
    #[serde(borrow, default)]
    pub method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub url: Option<Cow<'a, str>>,
}

/// `l7.dns`.
#[derive(Deserialize, Default)]
pub(crate) struct Dns<'a> {
    #[serde(borrow, default)]
    pub query: Option<Cow<'a, str>>,
    /// Answer addresses (responses only).
    #[serde(borrow, default)]
    pub ips: Option<Vec<Cow<'a, str>>>,
}

/// An endpoint (`source` / `destination`), decoded from its raw JSON the
/// first time its bytes are seen.
#[derive(Deserialize, Default)]
pub(crate) struct Endpoint {
    #[serde(default)]
    pub identity: Option<u32>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default, alias = "podName")]
    pub pod_name: Option<String>,
}

/// A protobuf enum as protojson writes it: a name, or a number when the
/// exporter writes enums as integers.
pub(crate) enum Enumish<'a> {
    /// The enum value's name.
    Name(Cow<'a, str>),
    /// The enum value's number.
    Number(i64),
}

impl<'de: 'a, 'a> Deserialize<'de> for Enumish<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Enumish<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an enum name or number")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Enumish::Name(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Enumish::Name(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Enumish::Name(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Enumish::Number(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(Enumish::Number)
                    .map_err(|_| E::custom("enum number out of range"))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}
