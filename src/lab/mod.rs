//! The rootless lab: networks of Linux namespaces built without sudo.
//! `ns`, `sys` and `route` are the machinery shared by `netwalk lab` and the
//! test harness (tests/it/lab/); the rest is the mini-internet `netwalk lab`
//! builds and the servers it runs in-process.

pub mod ns;
pub mod route;
pub mod sys;

pub mod dhcp_server;
pub mod dns;
pub mod internet;
pub mod net;
pub mod pki;
pub mod recursor;
pub mod web;
