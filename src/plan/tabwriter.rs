//! The column alignment of Go's `text/tabwriter` as helmfile configures it
//! (`w.Init(buf, 0, 1, 1, ' ', 0)`: no minimum width, padding 1, spaces).

/// Aligns rows of cells: every cell but the last of a row is padded with
/// spaces to the widest cell of its column plus one; the last cell is
/// written as is, as tabwriter leaves text after the last tab alone. Widths
/// count characters (tabwriter counts runes). All rows have the same number
/// of cells, so the whole table is one tabwriter column block.
pub(crate) fn align(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(|r| r.len().saturating_sub(1)).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|cell| cell.chars().count()).max().unwrap_or(0) + 1)
        .collect();
    let mut out = String::new();
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if c + 1 < row.len() {
                let pad = widths[c] - cell.chars().count();
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn columns_take_the_widest_cell_plus_one() {
        let table = align(&[row(&["GROUP", "RELEASES"]), row(&["1", "a, b"]), row(&["10", "c"])]);
        assert_eq!(table, "GROUP RELEASES\n1     a, b\n10    c\n");
        assert_eq!(align(&[row(&["a", "é", ""]), row(&["bb", "x", "y"])]), "a  é \nbb x y\n");
    }
}
