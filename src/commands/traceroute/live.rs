pub fn run(
    _: &mut crate::net::trace::Prober,
    _: super::Rounds,
    _: &crate::net::interrupt::Interrupt,
    _: &super::TraceReport,
    _: &crate::net::resolve::Resolver,
    _: bool,
) -> Result<super::RoundsDone, crate::error::Error> {
    todo!()
}
