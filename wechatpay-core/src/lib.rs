//! placeholder
mod operation;
pub use operation::{encode_query, push_path_segment, Host, Method, Operation};
