package dev.offramp.bench.eval;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A sweep's speed/quality trade-off as a PNG: for each policy, one labelled point per value (x = speed-up over full
 * depth, y = per-token agreement with it) and its Pareto front joined by a line, in the policy's colour; a guide at 95%
 * agreement. Drawn off-screen: the caller runs headless.
 */
final class ParetoPlot {
    static final double GUIDE = 0.95;
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0x9467bd), new Color(0xff7f0e)};

    private ParetoPlot() {}

    static void write(List<SweepRow> rows, Path png) throws IOException {
        Map<String, List<SweepRow>> byPolicy = new LinkedHashMap<>();
        rows.forEach(r -> byPolicy.computeIfAbsent(r.policy(), k -> new ArrayList<>()).add(r));
        String title = byPolicy.size() == 1 ? "early exit: " + rows.get(0).policy()
                : "early exit: " + byPolicy.size() + " policies on the same prompts";
        double[] allX = rows.stream().mapToDouble(r -> r.result().speedup()).toArray();
        double[] allY = rows.stream().mapToDouble(r -> r.result().agreementPerToken()).toArray();
        XYChart chart = new XYChartBuilder().width(900).height(600).title(title)
                .xAxisTitle("speed-up over full depth (tokens/s ratio)")
                .yAxisTitle("tokens equal to full depth's greedy choice, same prefix").build();
        XYStyler style = chart.getStyler();
        style.setLegendPosition(Styler.LegendPosition.InsideSW);
        style.setXAxisDecimalPattern("0.00");
        style.setYAxisDecimalPattern("0.00");
        // Room around the points for their labels; the y range always shows the guide and full agreement.
        double low = Math.min(GUIDE, Arrays.stream(allY).min().orElse(GUIDE));
        double pad = (1.0 - low) * 0.08 + 0.005;
        style.setYAxisMin(low - pad);
        style.setYAxisMax(1.0 + pad);
        double left = Arrays.stream(allX).min().orElse(1);
        double right = Arrays.stream(allX).max().orElse(1);
        double xPad = (right - left) * 0.08 + 0.01;
        style.setXAxisMin(left - xPad);
        style.setXAxisMax(right + xPad);

        int p = 0;
        for (Map.Entry<String, List<SweepRow>> policy : byPolicy.entrySet()) {
            Color colour = COLOURS[p++ % COLOURS.length];
            List<SweepRow> its = policy.getValue();
            double[] x = its.stream().mapToDouble(r -> r.result().speedup()).toArray();
            double[] y = its.stream().mapToDouble(r -> r.result().agreementPerToken()).toArray();
            List<Integer> front = ParetoFront.indices(x, y);
            XYSeries line = chart.addSeries(policy.getKey() + ": Pareto front",
                    front.stream().mapToDouble(i -> x[i]).toArray(), front.stream().mapToDouble(i -> y[i]).toArray());
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line).setMarker(SeriesMarkers.NONE);
            line.setLineColor(colour);
            line.setShowInLegend(false);  // the points' entry names the policy
            XYSeries points = chart.addSeries(policy.getKey(), x, y);
            points.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter).setMarker(SeriesMarkers.CIRCLE);
            points.setMarkerColor(colour);
            for (int i = 0; i < its.size(); i++) {
                chart.addAnnotation(new AnnotationText(its.get(i).value(), x[i], y[i] + pad / 2, false));
            }
        }
        chart.addAnnotation(new AnnotationLine(GUIDE, false, false));  // horizontal
        chart.addAnnotation(new AnnotationText("95% agreement", left, GUIDE + pad / 3, false));

        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
