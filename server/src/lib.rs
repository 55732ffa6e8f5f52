//! Palisade's server and CLI adapters over policy-core.
