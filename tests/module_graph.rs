//! The library's top-level modules depend on each other one way only: no import cycles.
//!
//! Reads `src/` and collects, for each top-level module, the other top-level modules its code
//! names (`crate::x`, outside comments and test modules), then looks for strongly connected
//! components. The binary (`cli`, `main`) and the fuzzing harness sit above everything and are
//! left out. When this fails, the message names the cycle and where each of its imports is: move
//! the shared item into a leaf module (as `setting`, `hints`) or the caller above both (as
//! `rule_examples`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Modules above the library, which may name anything.
const SHELLS: [&str; 4] = ["main", "lib", "cli", "fuzzing"];

type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn top_module(relative: &Path) -> String {
    let first = relative
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn scan(dir: &Path, root: &Path, graph: &mut Graph) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, root, graph);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(root).unwrap();
        let from = top_module(relative);
        if SHELLS.contains(&from.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let node = graph.entry(from.clone()).or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("#[cfg(test)]") {
                break; // test modules come last in every file
            }
            if code.starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != from && !name.is_empty() && name != "embedded" {
                    let place = format!("src/{}:{}", relative.display(), n + 1);
                    node.entry(name).or_default().push(place);
                }
            }
        }
    }
}

/// Tarjan's strongly connected components with more than one module.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flat_map(|e| e.keys()) {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let low = s.low[v].min(s.low[w.as_str()]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w.as_str()) {
                let low = s.low[v].min(s.index[w.as_str()]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn graph(edges: &[(&str, &str)]) -> Graph {
    let mut graph = Graph::new();
    for (a, b) in edges {
        graph
            .entry(a.to_string())
            .or_default()
            .entry(b.to_string())
            .or_default();
        graph.entry(b.to_string()).or_default();
    }
    graph
}

#[test]
fn the_cycle_finder_finds_cycles() {
    type Case<'a> = (&'a [(&'a str, &'a str)], Vec<Vec<&'a str>>);
    let cases: [Case; 4] = [
        (&[("a", "b"), ("b", "c")], vec![]),
        (&[("a", "b"), ("b", "a")], vec![vec!["a", "b"]]),
        (
            &[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")],
            vec![vec!["a", "b", "c"]],
        ),
        (
            &[("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")],
            vec![vec!["a", "b"], vec!["c", "d"]],
        ),
    ];
    for (edges, expected) in cases {
        let mut found = cycles(&graph(edges));
        found.sort();
        assert_eq!(found, expected, "{edges:?}");
    }
}

#[test]
fn library_modules_have_no_import_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    scan(&root, &root, &mut graph);
    assert!(graph.len() > 20, "the scan found the modules");
    let found = cycles(&graph);
    let mut message = String::new();
    for component in &found {
        message.push_str(&format!("cycle: {}\n", component.join(", ")));
        for a in component {
            for (b, places) in &graph[a] {
                if component.contains(b) {
                    message.push_str(&format!("  {a} -> {b}: {}\n", places.join(", ")));
                }
            }
        }
    }
    assert!(found.is_empty(), "{message}");
}
