//! The workspace: several policies, each kept as its YAML text, and the
//! undo/redo history over it. Plain data and pure functions; the page wraps
//! it in a signal.

use serde::{Deserialize, Serialize};

/// One policy of the workspace, as text (the source of truth).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    /// Stable id within the workspace.
    pub id: u32,
    /// The YAML text.
    pub text: String,
}

/// The policies being edited and which one is selected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// The policies, in list order (never empty).
    pub docs: Vec<Doc>,
    /// Index of the selected doc.
    pub selected: usize,
    /// Next id to hand out.
    pub next_id: u32,
}

impl Workspace {
    /// A workspace holding the given texts, the first selected.
    pub fn from_texts(texts: Vec<String>) -> Workspace {
        let texts = if texts.is_empty() {
            vec![String::new()]
        } else {
            texts
        };
        let docs: Vec<Doc> = texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| Doc {
                id: i as u32 + 1,
                text,
            })
            .collect();
        let next_id = docs.len() as u32 + 1;
        Workspace {
            docs,
            selected: 0,
            next_id,
        }
    }

    /// The selected doc.
    pub fn current(&self) -> &Doc {
        &self.docs[self.selected.min(self.docs.len() - 1)]
    }

    /// The texts of the documents other than the selected one.
    pub fn others(&self) -> impl Iterator<Item = &str> {
        let selected = self.selected.min(self.docs.len() - 1);
        self.docs
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != selected)
            .map(|(_, doc)| doc.text.as_str())
    }

    /// Replaces the selected doc's text.
    pub fn set_text(&mut self, text: String) {
        let i = self.selected.min(self.docs.len() - 1);
        self.docs[i].text = text;
    }

    /// Appends a doc and selects it.
    pub fn add(&mut self, text: String) {
        self.docs.push(Doc {
            id: self.next_id,
            text,
        });
        self.next_id += 1;
        self.selected = self.docs.len() - 1;
    }

    /// Copies the selected doc right after it and selects the copy.
    pub fn duplicate(&mut self, text: String) {
        let at = self.selected + 1;
        self.docs.insert(
            at,
            Doc {
                id: self.next_id,
                text,
            },
        );
        self.next_id += 1;
        self.selected = at;
    }

    /// Deletes the selected doc; the last one is replaced by an empty doc.
    pub fn delete_selected(&mut self) {
        self.docs.remove(self.selected.min(self.docs.len() - 1));
        if self.docs.is_empty() {
            self.docs.push(Doc {
                id: self.next_id,
                text: String::new(),
            });
            self.next_id += 1;
        }
        self.selected = self.selected.min(self.docs.len() - 1);
    }

    /// Selects a doc by index.
    pub fn select(&mut self, index: usize) {
        if index < self.docs.len() {
            self.selected = index;
        }
    }

    /// Restores from JSON (localStorage); `None` when unreadable.
    pub fn from_json(json: &str) -> Option<Workspace> {
        let ws: Workspace = serde_json::from_str(json).ok()?;
        (!ws.docs.is_empty()).then_some(ws)
    }

    /// Serializes for localStorage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What caused a change, for coalescing typing into one undo step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Typing in the YAML pane of a doc (coalesced while it continues).
    Typing(u32),
    /// Any other change (visual edit, add, delete, …): its own step.
    Step,
}

/// Undo/redo as stacks of workspace snapshots.
#[derive(Clone, Debug, Default)]
pub struct History {
    undo: Vec<Workspace>,
    redo: Vec<Workspace>,
    last: Option<(ChangeKind, f64)>,
}

/// Typing pauses longer than this start a new undo step (milliseconds).
const TYPING_GAP_MS: f64 = 800.0;
/// At most this many undo steps are kept.
const LIMIT: usize = 200;

impl History {
    /// Records `before` as the state to return to, unless this change
    /// continues a typing run in the same doc.
    pub fn record(&mut self, before: &Workspace, kind: ChangeKind, now_ms: f64) {
        let continues = matches!(
            (self.last, kind),
            (Some((ChangeKind::Typing(a), t)), ChangeKind::Typing(b)) if a == b && now_ms - t < TYPING_GAP_MS
        );
        if !continues {
            self.undo.push(before.clone());
            if self.undo.len() > LIMIT {
                self.undo.remove(0);
            }
        }
        self.redo.clear();
        self.last = Some((kind, now_ms));
    }

    /// Steps back: returns the state to show, given the current one.
    pub fn undo(&mut self, current: &Workspace) -> Option<Workspace> {
        let prev = self.undo.pop()?;
        self.redo.push(current.clone());
        self.last = None;
        Some(prev)
    }

    /// Steps forward again.
    pub fn redo(&mut self, current: &Workspace) -> Option<Workspace> {
        let next = self.redo.pop()?;
        self.undo.push(current.clone());
        self.last = None;
        Some(next)
    }

    /// Whether undo is possible.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether redo is possible.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_coalesces_and_steps_do_not() {
        let mut ws = Workspace::from_texts(vec!["a".into()]);
        let mut h = History::default();
        for (i, t) in ["ab", "abc", "abcd"].iter().enumerate() {
            h.record(&ws, ChangeKind::Typing(1), i as f64 * 100.0);
            ws.set_text(t.to_string());
        }
        h.record(&ws, ChangeKind::Step, 500.0);
        ws.set_text("visual".into());
        let back = h.undo(&ws).unwrap();
        assert_eq!(back.current().text, "abcd");
        let back2 = h.undo(&back).unwrap();
        assert_eq!(back2.current().text, "a");
        assert!(h.undo(&back2).is_none());
        let fwd = h.redo(&back2).unwrap();
        assert_eq!(fwd.current().text, "abcd");
    }

    #[test]
    fn delete_last_keeps_one_doc() {
        let mut ws = Workspace::from_texts(vec!["a".into()]);
        ws.delete_selected();
        assert_eq!(ws.docs.len(), 1);
        assert_eq!(ws.current().text, "");
    }

    #[test]
    fn json_round_trip() {
        let mut ws = Workspace::from_texts(vec!["a".into(), "b".into()]);
        ws.select(1);
        assert_eq!(Workspace::from_json(&ws.to_json()), Some(ws));
    }
}
