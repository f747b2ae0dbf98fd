package dev.offramp.bench.eval;

import dev.offramp.policy.calibrate.CascadeCurvePoint;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Cascade deferral curves as a PNG: x = fraction of requests deferred to the large member (cost grows linearly with
 * it, as the title says), y = answers equal to the large member's; one line per deferral rule. Drawn off-screen.
 */
final class CascadePlot {
    private CascadePlot() {}

    static void write(List<CascadeCommand.RuleCurve> curves, String title, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(600).title(title)
                .xAxisTitle("deferral rate (fraction of requests the large member answers)")
                .yAxisTitle("answers equal to the large member's").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setXAxisDecimalPattern("0.00");
        chart.getStyler().setYAxisDecimalPattern("0.00");
        for (CascadeCommand.RuleCurve c : curves) {
            XYSeries s = chart.addSeries(c.rule(),
                    c.points().stream().mapToDouble(CascadeCurvePoint::deferralRate).toArray(),
                    c.points().stream().mapToDouble(CascadeCurvePoint::agreement).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line).setMarker(SeriesMarkers.NONE);
        }
        if (!curves.isEmpty() && !curves.get(0).points().isEmpty()) {
            double base = curves.get(0).points().get(0).agreement();  // nothing deferred: the small member alone
            XYSeries random = chart.addSeries("random deferral", new double[] {0, 1}, new double[] {base, 1});
            random.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line).setMarker(SeriesMarkers.NONE);
            random.setLineColor(java.awt.Color.GRAY);
            random.setLineStyle(new java.awt.BasicStroke(1f, java.awt.BasicStroke.CAP_BUTT,
                    java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        }
        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
