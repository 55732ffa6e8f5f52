//! Handlers of the JSON API and the extractors they share.

pub mod body;
pub mod check;
pub mod compute;
pub mod explain;
pub mod export;
pub mod fetch;
pub mod flow_upload;
pub mod flows;
pub mod generate;
pub mod health;
pub mod live_flows;
pub mod reachability;
pub mod replay;
pub mod shares;
pub mod timeout;
