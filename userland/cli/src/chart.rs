//! The SVG chart of `ipcsim compare`: latency and CPU per round trip against
//! message size, one line per mechanism, both axes logarithmic.

use ipcsim_scenario::compare::{size_label, Mechanism, Row};
use plotters::prelude::*;

/// Which figure of a row a panel plots.
type Metric = fn(&Row) -> u64;

/// One colour per mechanism, stable across charts.
fn colour(m: Mechanism) -> RGBColor {
    match m {
        Mechanism::Endpoint => RGBColor(31, 119, 180),
        Mechanism::Mailbox => RGBColor(255, 127, 14),
        Mechanism::MsgQueue => RGBColor(44, 160, 44),
        Mechanism::Pipe => RGBColor(214, 39, 40),
        Mechanism::ShmPolling => RGBColor(148, 103, 189),
        Mechanism::Socket => RGBColor(140, 86, 75),
        Mechanism::SocketLink => RGBColor(227, 119, 194),
    }
}

/// Renders the rows as an SVG document (two panels: latency, CPU).
pub fn svg(rows: &[Row], title: &str) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (1100, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root.titled(title, ("sans-serif", 20)).map_err(|e| e.to_string())?;
        let panels = root.split_evenly((1, 2));
        let metrics: [(&str, Metric); 2] = [
            ("latency per round trip (ticks)", |r| r.latency),
            ("CPU per round trip (ticks, all processes)", |r| r.cpu),
        ];
        for (panel, (label, metric)) in panels.iter().zip(metrics) {
            draw_panel(panel, rows, label, metric)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    rows: &[Row],
    label: &str,
    metric: Metric,
) -> Result<(), String> {
    let sizes: Vec<u64> = rows.iter().map(|r| r.size.max(1) as u64).collect();
    let values: Vec<u64> = rows.iter().map(|r| metric(r).max(1)).collect();
    let (xmin, xmax) = bounds(&sizes);
    let (ymin, ymax) = bounds(&values);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .caption(label, ("sans-serif", 15))
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d((xmin..xmax).log_scale(), (ymin..ymax).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("message size")
        .x_label_formatter(&|v| size_label(*v as usize))
        .y_label_formatter(&|v| v.to_string())
        .draw()
        .map_err(|e| e.to_string())?;
    let mut mechs: Vec<Mechanism> = rows.iter().map(|r| r.mechanism).collect();
    mechs.dedup();
    for m in mechs {
        let c = colour(m);
        let pts: Vec<(u64, u64)> = rows
            .iter()
            .filter(|r| r.mechanism == m)
            .map(|r| (r.size.max(1) as u64, metric(r).max(1)))
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(m.name())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, c.filled())))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Axis bounds a little outside the data, for a log axis (never 0).
fn bounds(v: &[u64]) -> (u64, u64) {
    let lo = v.iter().copied().min().unwrap_or(1).max(1);
    let hi = v.iter().copied().max().unwrap_or(1).max(lo + 1);
    ((lo / 2).max(1), hi.saturating_mul(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_never_touch_zero() {
        assert_eq!(bounds(&[]), (1, 4));
        assert_eq!(bounds(&[0, 0]), (1, 4));
        assert_eq!(bounds(&[8, 65536]), (4, 131072));
    }
}
