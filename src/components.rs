//! Views shared by pages; no server-only code (they may call server
//! functions, as the browser does).

pub mod avatar;
pub mod feedback;
pub mod forms;
pub mod layout;
pub mod sync;
pub mod time;
