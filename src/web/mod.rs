//! Request plumbing shared by the HTML pages and the JSON API: who is
//! calling, in which language, cross-site protection, input extraction and
//! the rendering of errors.
pub mod csrf;
pub mod errors;
pub mod input;
pub mod log_span;
pub mod query_count;
pub mod render;
pub mod session;

pub use input::{ApiJson, FormData};
pub use render::Page;
pub use session::{Guest, Viewer};
