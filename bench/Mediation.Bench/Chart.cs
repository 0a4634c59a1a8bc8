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
        var lowest = 1.0;
        var ringsLabelled = false;
        foreach (var sys in report.Systems.Where(s => s.Points.Count > 0))
        {
            var points = sys.Points.Where(p => p.P99Ms > 0 && !double.IsNaN(p.P99Ms)).ToList();
            if (points.Count == 0) continue;
            var xs = points.Select(p => p.OfferedPerSecond).ToArray();
            var ys = points.Select(p => Math.Log10(p.P99Ms)).ToArray();
            highest = Math.Max(highest, points.Max(p => p.P99Ms));
            lowest = Math.Min(lowest, points.Min(p => p.P99Ms));
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"{sys.Label} p99 — saturating throughput " + (sys.SaturatingPerSecond is not { } sat ? "below the lowest rate"
                : sys.FailedAbovePerSecond is null ? $"≥ {sat:0}/s" : $"{sat:0}/s");
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
                if (!ringsLabelled) ring.LegendText = "failed: p99 ≥ 1 s, an error or an undelivered message";
                ringsLabelled = true;
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
        plot.Axes.SetLimitsY(Math.Floor(Math.Log10(lowest)), Math.Ceiling(Math.Log10(Math.Max(highest, Sweep.SaturationP99Ms) * 2)));
        var rates = report.Systems.SelectMany(s => s.Points).Select(p => p.OfferedPerSecond).DefaultIfEmpty(1).ToList();
        plot.Axes.SetLimitsX(0, rates.Max() * 1.08);
        plot.Axes.Left.Label.Text = "p99 end-to-end latency (ms, log scale)";
        plot.Axes.Bottom.Label.Text = "offered load (events/s, all connections)";
        var n = report.Disputes;
        plot.Title($"p99 against offered rate: Mediation ({report.Topology}) and a bare SignalR relay\nN = {n} disputes, {2 * n} connections, {report.Protocol}, {report.DurationSeconds:0} s per rate — {report.At:yyyy-MM-dd HH:mm} UTC");
        plot.Axes.Title.Label.FontSize = 16;
        plot.ShowLegend(Edge.Bottom); // outside the data area: high points sit in the upper corners
        plot.SavePng(path, 1000, 600);
    }
}
