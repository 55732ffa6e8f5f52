//! Handlers of the JSON API and the extractors they share.

pub mod body;
pub mod fetch;
pub mod health;
pub mod shares;
pub mod timeout;
