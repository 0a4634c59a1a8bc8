namespace Mediation.Api.Problems;

/// <summary>
/// Retries grain calls that a silo rejected without running them — typically "Silo stopping" while ops scales in.
/// A rejected call did nothing, so sending it again cannot create anything twice; a call that may have run
/// (a timeout, a silo that died mid-call) is never retried here.
/// </summary>
public sealed class RetryRejectedCalls(ILogger<RetryRejectedCalls> logger) : IOutgoingGrainCallFilter
{
    private const int Attempts = 6;

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await context.Invoke();
                return;
            }
            catch (OrleansMessageRejectionException e) when (attempt < Attempts)
            {
                logger.LogDebug(e, "{Method} was rejected (attempt {Attempt}); sending it again", context.InterfaceMethod?.Name, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt)); // back off while the cluster moves the grain
            }
        }
    }
}
