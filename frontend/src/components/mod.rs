//! The page's components. Each draws signals from [`crate::state::AppState`]
//! and calls its actions; none holds policy logic.

pub mod footer;
pub mod graph;
pub mod header;
pub mod inspector;
pub mod peer_list;
pub mod sidebar;
pub mod yaml_pane;
