//! helmfile's tables: cells padded to their column's width and separated by
//! a tab, trailing blanks trimmed (`helmfile list`, `show-dag`).

/// Renders `header` and `rows` as helmfile does.
pub fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate().take(columns) {
            if i + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}\t", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_padded_and_tab_separated() {
        let rows = vec![vec!["release1".into(), "ns".into(), String::new()]];
        assert_eq!(
            render_table(&["NAME", "NAMESPACE", "VERSION"], &rows),
            "NAME    \tNAMESPACE\tVERSION\nrelease1\tns\n"
        );
    }
}
