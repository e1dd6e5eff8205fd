//! Cases: intake from every channel, reading and working a case, merging duplicates, the
//! closure survey, the supervisor's board, and the attachments' bytes.

pub mod blobs;
pub mod board;
pub mod intake;
pub mod merge;
pub mod survey;
pub mod views;
pub mod work;
