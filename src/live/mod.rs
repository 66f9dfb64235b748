//! The live view (`traceroute --live`, `tcping --live`): a full-screen
//! table updated per probe, as mtr and trippy draw. `series` and `board`
//! are pure (statistics, view state, keys, the drawing into a buffer);
//! only `term` touches the terminal.

pub mod board;
pub mod series;
pub mod term;
