using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Mediation.Grains.Idempotency;

[GenerateSerializer, Alias("Mediation.IdempotencyRecord")]
public sealed class IdempotencyRecord
{
    [Id(0)] public IdempotentResponse? Response { get; set; }
    [Id(1)] public DateTimeOffset ClaimedAt { get; set; }
}

/// <summary>Remembers the first request made under one caller's Idempotency-Key, and its answer.</summary>
public sealed class IdempotencyGrain(
    [PersistentState("idempotency", MediationStorage.Name)] IPersistentState<IdempotencyRecord> record,
    [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider clock) : Grain, IIdempotencyGrain
{
    /// <summary>A claim whose request never finished (its process died) may be taken over after this.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromSeconds(30);

    public async Task<IdempotentResponse?> BeginAsync(string requestHash)
    {
        var now = clock.GetUtcNow();
        if (record.State.Response is { } earlier && (earlier.Completed || now - record.State.ClaimedAt < AbandonedAfter))
            return earlier;
        record.State.ClaimedAt = now;
        record.State.Response = new IdempotentResponse(requestHash, 0, null, Completed: false);
        await record.WriteStateAsync();
        return null;
    }

    public async Task CompleteAsync(int statusCode, string? body)
    {
        var claimed = record.State.Response ?? throw MediationException.Conflict("the idempotency key was not claimed");
        record.State.Response = claimed with { StatusCode = statusCode, Body = body, Completed = true };
        await record.WriteStateAsync();
    }

    public async Task AbandonAsync()
    {
        if (record.State.Response is { Completed: false })
            await record.ClearStateAsync();
    }
}
