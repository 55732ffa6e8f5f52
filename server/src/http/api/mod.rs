//! Handlers of the JSON API and the extractors they share.

pub mod body;
pub mod check;
pub mod compute;
pub mod export;
pub mod fetch;
pub mod flow_upload;
pub mod generate;
pub mod health;
pub mod reachability;
pub mod shares;
pub mod timeout;
