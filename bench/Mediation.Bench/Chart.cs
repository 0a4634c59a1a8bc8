using ScottPlot;

namespace Mediation.Bench;

/// <summary>p99 against offered rate for each system, log scale, with the 1 s line that defines saturation.</summary>
public static class Chart
{
    public static void Save(SweepReport report, string path)
    {
        var plot = new Plot();
        var colors = new Dictionary<string, Color> { [Deployment.RelayLabel] = Colors.Gray, [Deployment.MediationLabel] = Colors.RoyalBlue };
        var highest = 1.0;
        foreach (var sys in report.Systems.Where(s => s.Points.Count > 0))
        {
            var points = sys.Points.Where(p => p.P99Ms > 0 && !double.IsNaN(p.P99Ms)).ToList();
            if (points.Count == 0) continue;
            var xs = points.Select(p => p.OfferedPerSecond).ToArray();
            var ys = points.Select(p => Math.Log10(p.P99Ms)).ToArray();
            highest = Math.Max(highest, points.Max(p => p.P99Ms));
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"{sys.Label} p99" + (sys.SaturatingPerSecond is { } sat ? $" (saturates above {sat:0}/s)" : "");
            line.Color = colors.GetValueOrDefault(sys.Label, Colors.OrangeRed);
            line.LineWidth = 2;
            line.MarkerSize = 8;
            // A failed point (an error or something undelivered, whatever its p99) gets a red ring.
            foreach (var failed in points.Where(p => !p.Passed))
            {
                var ring = plot.Add.Marker(failed.OfferedPerSecond, Math.Log10(failed.P99Ms));
                ring.MarkerShape = MarkerShape.OpenCircle;
                ring.MarkerSize = 16;
                ring.Color = Colors.Red;
            }
        }
        var limit = plot.Add.HorizontalLine(Math.Log10(Sweep.SaturationP99Ms));
        limit.LinePattern = LinePattern.Dashed;
        limit.Color = Colors.Red.WithAlpha(0.6);
        limit.LegendText = "p99 = 1 s (saturation)";

        // Log scale: the series are log10(ms); label the ticks with the milliseconds.
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => $"{Math.Pow(10, y):0.###}",
        };
        plot.Axes.SetLimitsY(0, Math.Ceiling(Math.Log10(Math.Max(highest, Sweep.SaturationP99Ms) * 2)));
        plot.Axes.Left.Label.Text = "p99 end-to-end latency (ms, log scale)";
        plot.Axes.Bottom.Label.Text = "offered load (events/s, all connections)";
        var n = report.Disputes;
        plot.Title($"Mediation vs bare SignalR relay — N = {n} disputes ({2 * n} connections), {report.Topology}, {report.At:yyyy-MM-dd HH:mm} UTC");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1000, 600);
    }
}
