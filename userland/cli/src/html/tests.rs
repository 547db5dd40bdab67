//! The classroom page, checked without a browser (the browser test is
//! `make check-html`): self-contained, one step per trace event, its data
//! island valid JSON whatever the scenario's strings hold, cut with a note
//! past its limit, and deterministic.

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};

fn page(src: &str) -> String {
    super::page("t.ipc", src, None, &Views::default()).expect("loads")
}

fn data(page: &str) -> serde_json::Value {
    let start = page.find("id=\"ipcsim-data\">").expect("data island") + "id=\"ipcsim-data\">".len();
    let end = start + page[start..].find("</script>").expect("closed");
    serde_json::from_str(&page[start..end].replace("<\\/", "</")).expect("JSON")
}

const ECHO: &str = include_str!("../../../../scenarios/echo.ipc");

#[test]
fn the_page_is_self_contained_and_has_a_step_per_event() {
    let p = page(ECHO);
    // The only URL is the SVG namespace, which is a name, not a fetch.
    assert_eq!(
        p.matches("http").count(),
        p.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(
        !p.contains("src=") && !p.contains("<link"),
        "nothing loaded from elsewhere"
    );
    let (_, trace) = run_to_string("t.ipc", ECHO, None, &Views::default());
    let events = trace.lines().take_while(|l| !l.is_empty()).count();
    let d = data(&p);
    assert_eq!(d["steps"].as_array().expect("steps").len(), events);
    assert_eq!(p.matches("<li data-step=").count(), events);
    assert_eq!(p.matches("<g class=\"row\" data-step=").count(), events);
    // Every step's state exists; the last shows the daemon waiting.
    let states = d["states"].as_array().expect("states");
    for s in d["steps"].as_array().expect("steps") {
        assert!((s[2].as_u64().expect("index") as usize) < states.len());
    }
    let last = &states[states.len() - 1]["procs"];
    assert_eq!(last[0][1], "blocked: waits for a sender on echo");
    assert_eq!(last[1][1], "ended: exited");
}

#[test]
fn hostile_strings_stay_text() {
    let src = "mailbox m capacity 2\nprocess p caps(m: send) {\n    send m \"</script><b>x</b> & \\\"q\\\"\"\n}\n";
    let p = page(src);
    assert!(!p.contains("<b>x</b>"), "a message is escaped in the trace and diagram");
    assert_eq!(
        p.matches("</script>").count(),
        2,
        "only the page's own script elements close"
    );
    let d = data(&p);
    let objs = &d["states"][d["states"].as_array().expect("states").len() - 1]["objs"];
    assert_eq!(objs[0][3][0], "\"</script><b>x</b> & \\\"q\\\"\"");
}

#[test]
fn a_long_run_is_cut_with_a_note() {
    let src = "process p {\n    repeat 3000 {\n        yield\n    }\n}\n";
    let p = page(src);
    let d = data(&p);
    assert_eq!(d["steps"].as_array().expect("steps").len(), super::record::STEPS_MAX);
    assert!(d["cut"].as_u64().expect("cut") > 0);
    assert!(p.contains("more events (the page holds the first 2000"));
}

#[test]
fn the_same_run_gives_the_same_page() {
    assert_eq!(page(ECHO), page(ECHO));
    let views = Views {
        trace: TraceFormat::None,
        ..Default::default()
    };
    let seeded = |s| super::page("t.ipc", ECHO, Some(s), &views).expect("loads");
    assert_eq!(seeded(3), seeded(3));
}
