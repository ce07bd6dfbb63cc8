//! The catalog as an Excel workbook, like the seed's own spreadsheet: one sheet by port (in
//! the seed table's order), one by service, and one of errata; and any grid as a one-sheet
//! workbook (a plan's change request).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use portolan_catalog::Catalog;

use crate::catalog::{errata_grid, rows_grid, services_grid};
use crate::grid::Grid;

/// The workbook's bytes.
pub fn catalog_workbook(catalog: &Catalog) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let by_port = rows_grid(catalog, &catalog.table_rows(), None);
    let services: Vec<_> = catalog.services().iter().collect();
    let by_service = services_grid(catalog, &services);
    let errata = errata_grid(catalog.errata());
    for (name, grid) in [
        ("By port", &by_port),
        ("By service", &by_service),
        ("Errata", &errata),
    ] {
        write_sheet(&mut workbook, name, grid)?;
    }
    workbook.save_to_buffer()
}

/// A workbook of one sheet named `sheet` holding `grid` (a plan's change request), with the
/// same header, filter and frozen first row as the catalog's sheets.
pub fn grid_workbook(sheet: &str, grid: &Grid) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    write_sheet(&mut workbook, sheet, grid)?;
    workbook.save_to_buffer()
}

fn write_sheet(workbook: &mut Workbook, name: &str, grid: &Grid) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    for (col, header) in grid.headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, header, &bold)?;
    }
    for (r, row) in grid.rows.iter().enumerate() {
        let line = r as u32 + 1;
        for (col, cell) in row.iter().enumerate() {
            // Ports are numbers in the seed's spreadsheet, so sorting and filtering work.
            match cell.text.parse::<u32>() {
                Ok(n) if col == 0 && name == "By port" => {
                    sheet.write_number(line, col as u16, n)?;
                }
                _ => {
                    sheet.write_string(line, col as u16, &cell.text)?;
                }
            }
        }
    }
    sheet.autofilter(
        0,
        0,
        grid.rows.len() as u32,
        grid.headers.len().saturating_sub(1) as u16,
    )?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    Ok(())
}
