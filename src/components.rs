//! Pure views shared by pages; no server code.

pub mod avatar;
pub mod feedback;
pub mod forms;
pub mod layout;
pub mod time;
