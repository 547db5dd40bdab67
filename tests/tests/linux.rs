//! The scenarios in tests/linux/ pass in ipcsim: each states a Linux
//! behaviour that the program beside it checks on real Linux (`make
//! check-linux`, where the host is Linux; not needed here).

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};
use ipcsim_tests::{files, root};

#[test]
fn every_linux_behaviour_scenario_passes() {
    let dir = root().join("tests/linux");
    let scenarios = files(&dir, "ipc");
    assert!(scenarios.len() >= 7, "{} scenarios", scenarios.len());
    for f in scenarios {
        let src = std::fs::read_to_string(&f).expect("readable");
        let c = f.with_extension("c");
        assert!(c.exists(), "{} has no Linux program beside it", f.display());
        let views = Views {
            trace: TraceFormat::None,
            ..Views::default()
        };
        let (p, out) = run_to_string(&f.display().to_string(), &src, None, &views);
        assert_eq!(p.exit, 0, "{}:\n{}{}", f.display(), p.diagnostics, out);
    }
}
