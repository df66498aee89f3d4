package io.csfl.report;

import io.csfl.metrics.RoundMetrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Line charts of accuracy against rounds and against traffic, one series per algorithm, as PNG. */
final class Charts {
  private static final Color[] PALETTE = {
      new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
      new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
      new Color(0xbcbd22), new Color(0x17becf)};

  private Charts() {}

  /** x per round: a function of the rows so far (cumulative traffic) or of the row itself. */
  interface XAxis {
    double at(List<RoundMetrics> soFar);
  }

  static XAxis round() {
    return soFar -> soFar.get(soFar.size() - 1).round();
  }

  static XAxis cumulativeMegabytes(ToDoubleFunction<RoundMetrics> bytes) {
    return soFar -> soFar.stream().mapToDouble(bytes).sum() / 1e6;
  }

  static void accuracyChart(Map<String, List<RoundMetrics>> runs, String title, String xLabel, XAxis x, Path png)
      throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, List<RoundMetrics>> run : runs.entrySet()) {
      XYSeries series = new XYSeries(run.getKey(), false);
      List<RoundMetrics> rows = run.getValue();
      for (int i = 0; i < rows.size(); i++) {
        series.add(x.at(rows.subList(0, i + 1)), rows.get(i).accuracy());
      }
      data.addSeries(series);
    }
    NumberAxis xAxis = new NumberAxis(xLabel);
    xAxis.setAutoRangeIncludesZero(true);
    NumberAxis yAxis = new NumberAxis("test accuracy");
    yAxis.setAutoRangeIncludesZero(false);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      // Past the palette, colours repeat: the second round of them is dashed.
      renderer.setSeriesStroke(i, i < PALETTE.length ? new BasicStroke(2f)
          : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 5f}, 0f));
    }
    XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    // Drawn in memory, then written whole: a crash or a full disk leaves the old chart or the new
    // one, never a cut one, and a failed write is said with the file it was for.
    java.io.ByteArrayOutputStream image = new java.io.ByteArrayOutputStream(64 * 1024);
    ChartUtils.writeChartAsPNG(image, chart, 900, 560);
    io.csfl.internal.files.AtomicFiles.write(png, image.toByteArray(), false);
  }
}
