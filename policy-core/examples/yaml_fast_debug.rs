//! Prints what the fast YAML path and the general reader make of one text
//! (`\n` escapes allowed), to debug a disagreement between them.

use policy_core::yaml::reader::{read_documents_fast, read_documents_general};
fn main() {
    let text = std::env::args().nth(1).unwrap().replace("\\n", "\n");
    let fast = read_documents_fast(&text);
    let (general, problems) = read_documents_general(&text);
    println!(
        "fast: {}",
        fast.as_ref()
            .map_or("declined".into(), |f| format!("{f:#?}"))
    );
    println!("general: {general:#?} {problems:?}");
}
