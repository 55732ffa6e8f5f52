//! The fast YAML reader against the general one: whenever the fast path
//! accepts a text, its documents (values and every span) must equal the
//! general reader's, and it must accept the plain block YAML policies are
//! written in. Checked on the test corpus, on generated block YAML in many
//! layouts, and on random corruptions of both.

use std::path::{Path, PathBuf};

use policy_core::yaml::reader::{read_documents_fast, read_documents_general};
use proptest::prelude::*;

/// Every YAML file under `dir`, recursively.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn corpus() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&root.join("tests/data"), &mut files);
    yaml_files(&root.join("benches/data"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

/// The property: if the fast path accepts `text`, it reads what the general
/// reader reads, and the general reader finds no problem in it.
fn assert_agrees(text: &str) -> Result<bool, TestCaseError> {
    let Some(fast) = read_documents_fast(text) else {
        return Ok(false);
    };
    let (general, problems) = read_documents_general(text);
    prop_assert!(
        problems.is_empty(),
        "fast path accepted a text with problems {problems:?}:\n{text}"
    );
    prop_assert_eq!(fast, general, "on:\n{}", text);
    Ok(true)
}

#[test]
fn the_corpus_reads_the_same_and_mostly_takes_the_fast_path() {
    let corpus = corpus();
    let mut accepted = 0;
    for (path, text) in &corpus {
        if assert_agrees(text).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
            accepted += 1;
        } else {
            eprintln!("declined: {}", path.display());
        }
    }
    eprintln!(
        "fast path accepted {accepted} of {} corpus files",
        corpus.len()
    );
    assert!(
        accepted * 10 >= corpus.len() * 7,
        "only {accepted} of {} files took the fast path",
        corpus.len()
    );
    let bench = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/policy-30.yaml"),
    )
    .unwrap();
    assert!(read_documents_fast(&bench).is_some());
}

#[test]
fn hand_picked_layouts_agree() {
    let cases = [
        "a: 1\n",
        "a: 1\nb:\n  c: x\n",
        "a:\n- 1\n- 2\nb: c\n",
        "a:\n  - 1\n  - 2\n",
        "- a: 1\n  b: 2\n- c\n",
        "a: 'it''s'\nb: \"q\"\nc: ''\nd: \"\"\n",
        "a: x # comment\nb: y#z\n# only comment\n\nc: 'q' # c\n",
        "---\na: 1\n---\nb: 2\n",
        "a: 1\n---\nb: 2\n",
        "a: nginx:1.2\nb: http://x/y\nc: 10.0.0.0/8\nd: -3\ne: -x\n",
        "80: a\ntrue: b\nnull: c\n1.0: e\n",
        "~: d\n",
        "a: {}\nb: []  # c\nc:\n- {}\n",
        "a: yes\nb: No\nc: 0x1F\nd: 0o17\ne: 1e3\nf: .5\ng: +1\n",
        "k8s:app: x\nio.cilium/app: y\n",
        "a:\n    b:\n        c: d\n",
        "a:   spaced   \nb:    'q'   \n",
        "-   a: 1\n    b: 2\n",
        "a: b]\nc: d,e\nf: x{y}\n",
        "a: ---\nb: ...x\n",
        "a:\n  value\nb: 1\n",
        "a:\n  'q'\nb:\n  \"d\"  # c\n",
        "- x\n# between\n- y\n",
        "a: 1 # c\n\n\n# c\nb: 2\n",
    ];
    let mut failures = Vec::new();
    for text in cases {
        match assert_agrees(text) {
            Ok(true) => {}
            Ok(false) => failures.push(format!("declined:\n{text}")),
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Outside the subset: declined, and read by the general reader.
    for text in [
        "a: [1, 2]\n",
        "- - x\n  - y\n",
        "- []\n",
        "a: { }\n",
        "a: {}x\n",
        "a: &x 1\nb: *x\n",
        "a: |\n  x\n",
        "a: b\n  c\n",
        "a:\n",
        "a: \"x\\ty\"\n",
        "a: 1\na: 2\n",
        "<<: {a: 1}\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: é\n",
        "- \n- a\n",
        "a: b: c\n",
        "",
        "# nothing\n",
        "---\n",
        "a: 1\n---\n",
        "scalar\n",
        "  a: 1\n",
        "a: 'x\n  y'\n",
        "a:\n  value\n  more\n",
        "a: b\x01\n",
        "a: b\x7f\n",
    ] {
        assert!(read_documents_fast(text).is_none(), "accepted:\n{text}");
    }
}

/// A generated tree: scalars are written as raw YAML text.
#[derive(Clone, Debug)]
enum Tree {
    Scalar(String),
    Map(Vec<(String, Tree)>),
    Seq(Vec<Tree>),
}

/// Scalars (as written) in the fast path's subset…
const SCALARS: &[&str] = &[
    "80",
    "'80'",
    "\"80\"",
    "TCP",
    "app",
    "yes",
    "null",
    "~",
    "-3",
    "1.5",
    "0x1F",
    "a:b",
    "a b",
    "x #c",
    "'it''s'",
    "http://x",
    "10.0.0.0/8",
    "true",
    "k8s:app",
    "\"\"",
    "''",
    "x  ",
    "1e3",
    "a]",
    "b,c",
    "\"#\"",
    "'x: y'",
    "{}",
    "[]",
    "'q'  # c",
    "-x",
    ".inf",
    "-.5",
    "a#b",
];

/// …and outside it.
const ODD_SCALARS: &[&str] = &[
    "",
    "\"a\\\"b\"",
    "[a]",
    "{a: 1}",
    "&x y",
    "*x",
    "!!str 5",
    "|",
    ">",
    "a: b",
    "- x",
    "#",
    "'a'b'",
    "-",
    "?x",
    "@x",
    "x:",
    "{ }",
    "[] x",
    "'open",
    "%x",
    "`x",
];

const KEYS: &[&str] = &[
    "app",
    "'quoted key'",
    "\"dq\"",
    "80",
    "true",
    "null",
    "~",
    "a.b/c",
    "k8s:io.x",
    "k8s-app",
    "1.0",
    "port",
    "to",
    "from",
    "matchLabels",
    "'a''b'",
    "ports",
    "x_y",
];

const ODD_KEYS: &[&str] = &["<<", "a b", "-k", "x#y", "? k", "&a k", "[k]"];

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(SCALARS),
        1 => prop::sample::select(ODD_SCALARS),
    ]
    .prop_map(str::to_owned)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(KEYS),
        1 => prop::sample::select(ODD_KEYS),
    ]
    .prop_map(str::to_owned)
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = scalar().prop_map(Tree::Scalar);
    leaf.prop_recursive(5, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec((key(), inner.clone()), 1..4).prop_map(Tree::Map),
            prop::collection::vec(inner, 1..4).prop_map(Tree::Seq),
        ]
    })
}

/// How a tree is laid out.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// Spaces per mapping level.
    step: usize,
    /// Whether a sequence under a key is indented (`key:\n  - x`) or not.
    indent_sequences: bool,
    /// Spaces after a `-`.
    after_dash: usize,
}

/// The lines of `tree` at `indent`.
fn render(tree: &Tree, indent: usize, layout: Layout, out: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    match tree {
        Tree::Scalar(s) => out.push(format!("{pad}{s}")),
        Tree::Map(entries) => {
            for (key, value) in entries {
                match value {
                    Tree::Scalar(s) if s.is_empty() => out.push(format!("{pad}{key}:")),
                    Tree::Scalar(s) => out.push(format!("{pad}{key}: {s}")),
                    Tree::Map(_) => {
                        out.push(format!("{pad}{key}:"));
                        render(value, indent + layout.step, layout, out);
                    }
                    Tree::Seq(_) => {
                        out.push(format!("{pad}{key}:"));
                        let extra = if layout.indent_sequences {
                            layout.step
                        } else {
                            0
                        };
                        render(value, indent + extra, layout, out);
                    }
                }
            }
        }
        Tree::Seq(items) => {
            let inner = indent + 1 + layout.after_dash;
            for item in items {
                let mut lines = Vec::new();
                render(item, inner, layout, &mut lines);
                let first = &lines[0][inner..];
                lines[0] = format!("{pad}-{}{first}", " ".repeat(layout.after_dash));
                out.extend(lines);
            }
        }
    }
}

/// `tree` as a document, with comment and blank lines sprinkled in.
fn document(trees: &[Tree], layout: Layout, noise: &[(usize, u8)], leading: bool) -> String {
    let mut text = String::new();
    if leading {
        text.push_str("---\n");
    }
    for (d, tree) in trees.iter().enumerate() {
        if d > 0 {
            text.push_str("---\n");
        }
        let mut lines = Vec::new();
        render(tree, 0, layout, &mut lines);
        for &(at, kind) in noise {
            let at = at % (lines.len() + 1);
            let extra = match kind % 4 {
                0 => String::new(),
                1 => "# a comment".to_owned(),
                2 => "    # an indented comment".to_owned(),
                _ => "  ".to_owned(),
            };
            lines.insert(at, extra);
        }
        for line in lines {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop::sample::select(&[2usize, 4][..]),
        any::<bool>(),
        1usize..3,
    )
        .prop_map(|(step, indent_sequences, after_dash)| Layout {
            step,
            indent_sequences,
            after_dash,
        })
}

/// Root trees: mappings or sequences.
fn root() -> impl Strategy<Value = Tree> {
    tree().prop_filter("a collection", |t| !matches!(t, Tree::Scalar(_)))
}

/// Bytes that make YAML mean something else when dropped in.
const EDITS: &[u8] = b": -#'\"\n[{&*!|> \t\\x0\x01\x7f\x0b";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_block_yaml_agrees(
        trees in prop::collection::vec(root(), 1..3),
        layout in layout(),
        noise in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        leading in any::<bool>(),
    ) {
        let text = document(&trees, layout, &noise, leading);
        assert_agrees(&text)?;
    }

    #[test]
    fn corrupted_block_yaml_agrees(
        trees in prop::collection::vec(root(), 1..3),
        layout in layout(),
        edits in prop::collection::vec((any::<usize>(), any::<bool>(), prop::sample::select(EDITS)), 1..4),
    ) {
        let mut text = document(&trees, layout, &[], false).into_bytes();
        for (at, insert, byte) in edits {
            let at = at % (text.len() + 1);
            if insert || at == text.len() {
                text.insert(at, byte);
            } else {
                text.remove(at);
            }
        }
        let text = String::from_utf8(text).unwrap();
        assert_agrees(&text)?;
    }

    #[test]
    fn corrupted_corpus_files_agree(
        file in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>(), prop::sample::select(EDITS)), 1..3),
    ) {
        let corpus = corpus();
        let mut text = corpus[file.index(corpus.len())].1.clone().into_bytes();
        for (at, insert, byte) in edits {
            let at = at.index(text.len() + 1);
            if insert || at == text.len() {
                text.insert(at, byte);
            } else {
                text.remove(at);
            }
        }
        let text = String::from_utf8(text).unwrap();
        assert_agrees(&text)?;
    }
}

#[test]
fn generated_documents_mostly_take_the_fast_path() {
    // Guards against a fast path that declines everything (the properties
    // above would then hold vacuously).
    let plain = Tree::Map(vec![
        ("app".into(), Tree::Scalar("api".into())),
        (
            "ports".into(),
            Tree::Seq(vec![Tree::Map(vec![
                ("port".into(), Tree::Scalar("80".into())),
                ("protocol".into(), Tree::Scalar("'TCP'".into())),
            ])]),
        ),
    ]);
    for step in [2, 4] {
        for indent_sequences in [false, true] {
            for after_dash in [1, 2] {
                let layout = Layout {
                    step,
                    indent_sequences,
                    after_dash,
                };
                let text = document(
                    std::slice::from_ref(&plain),
                    layout,
                    &[(1, 1), (2, 0)],
                    true,
                );
                assert!(assert_agrees(&text).unwrap(), "declined:\n{text}");
            }
        }
    }
}
