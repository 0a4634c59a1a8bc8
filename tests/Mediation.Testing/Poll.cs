using System.Diagnostics;

namespace Mediation.Testing;

/// <summary>Waiting for something observable, with a deadline, instead of sleeping.</summary>
public static class Poll
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Npgsql.NpgsqlException)
            {
                // not there yet
            }
            if (deadline.Elapsed > timeout)
                Assert.Fail($"not {what} within {timeout.TotalSeconds:0} s{(diagnostics is null ? "" : ":\n" + diagnostics())}");
            await Task.Delay(Interval); // poll interval
        }
    }
}
