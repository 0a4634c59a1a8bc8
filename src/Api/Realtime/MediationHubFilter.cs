using Microsoft.AspNetCore.SignalR;

namespace Mediation.Api.Realtime;

/// <summary>
/// Turns failures into <see cref="HubException"/> with the same status and message as the REST API's ProblemDetails.
/// A refusal is logged at Debug without a stack; only a fault is an Error. SignalR's own "Failed invoking hub method"
/// Error entry, which it writes for every exception a hub method throws, is switched off in Program.cs so that a
/// client repeating refused calls cannot fill the error log; this filter is where faults are logged instead.
/// </summary>
public sealed class MediationHubFilter(ILogger<MediationHubFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (HubException e)
        {
            logger.LogDebug("Hub call {Method} refused: {Message}", invocationContext.HubMethodName, e.Message);
            throw;
        }
        catch (Exception e) when (Problems.MediationProblems.Describe(e) is { } problem)
        {
            if (Problems.MediationProblems.IsShed(e)) logger.LogDebug("Hub call {Method} shed: {Problem}", invocationContext.HubMethodName, problem);
            else if (problem.Status >= 500) logger.LogWarning(e, "Hub call {Method} failed: {Problem}", invocationContext.HubMethodName, problem);
            else logger.LogDebug("Hub call {Method} refused: {Problem}", invocationContext.HubMethodName, problem);
            throw new HubException(problem.ToString());
        }
        catch (Exception e)
        {
            logger.LogError(e, "Hub call {Method} failed unexpectedly", invocationContext.HubMethodName);
            throw new HubException("500 Error: an unexpected error occurred");
        }
    }
}
