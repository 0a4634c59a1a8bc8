using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;

namespace Mediation.Grains.Mediators;

/// <summary>The clocks and limits of a city's desk. Bound from <c>Mediation:Desk</c>.</summary>
public sealed class MediationDeskOptions
{
    public const string Section = "Mediation:Desk";

    /// <summary>A mediator at this many open cases takes no more from the queue, unless a case has waited too long.</summary>
    public int MaxOpenCases { get; set; } = 20;

    /// <summary>A case waiting this long is offered to any available mediator of the city, however loaded.</summary>
    public TimeSpan OfferWaitingAfter { get; set; } = TimeSpan.FromMinutes(30);
}

[GenerateSerializer, Alias("Mediation.MediationDeskState")]
public sealed class MediationDeskState
{
    [Id(0)] public List<QueuedCase> Cases { get; set; } = [];
    [Id(1)] public HashSet<string> Away { get; set; } = [];
}

/// <summary>
/// A city's mediation desk: escalated cases queue here, prioritised ones (complaints forwarded by an association or a
/// regulator) first, then oldest first, and go to the available mediator with the fewest
/// open cases; a case that waited too long goes to any available mediator. The desk's state is the authority on who
/// holds which case; the dispute records the assignment on its timeline.
/// </summary>
public sealed class MediationDeskGrain(
    [PersistentState("desk", MediationStorage.Name)] IPersistentState<MediationDeskState> desk,
    IOptions<CityOptions> cities,
    IOptions<MediationDeskOptions> options,
    [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider clock,
    MediationMetrics metrics,
    ILogger<MediationDeskGrain> logger) : Grain, IMediationDeskGrain, IRemindable
{
    private const string OfferReminder = "offer";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        MeasureQueue();
        return Task.CompletedTask;
    }

    // The gauge follows the desk: the silo it leaves stops reporting it.
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.DeskLeft(City);
        return Task.CompletedTask;
    }

    private void MeasureQueue()
    {
        var waiting = desk.State.Cases.Count(c => c.MediatorId is null);
        metrics.DeskQueue(City, waiting, desk.State.Cases.Count - waiting);
    }
    private string City => this.GetPrimaryKeyString();
    private IReadOnlyList<string> Mediators =>
        cities.Value.Cities.TryGetValue(City, out var pool) ? pool.Mediators : [];

    public async Task<string?> EnqueueAsync(string disputeId, DateTimeOffset escalatedAt, bool priority)
    {
        var existing = desk.State.Cases.FirstOrDefault(c => c.DisputeId == disputeId);
        if (existing is not null) return existing.MediatorId;
        var queued = new QueuedCase(disputeId, escalatedAt, null, null, priority);
        var mediator = PickFor(queued);
        desk.State.Cases.Add(mediator is null ? queued : queued with { MediatorId = mediator, AssignedAt = clock.GetUtcNow() });
        await SaveAsync();
        if (mediator is null) await ArmOfferReminderAsync();
        return mediator;
    }

    public async Task CaseEndedAsync(string disputeId)
    {
        if (desk.State.Cases.RemoveAll(c => c.DisputeId == disputeId) == 0) return;
        await SaveAsync();
        // A mediator's load dropped: someone may take a waiting case now.
        await AssignWaitingAsync();
    }

    public async Task<MediatorQueue> SetAvailabilityAsync(Caller caller, bool available)
    {
        var mediator = RequireMediator(caller);
        var changed = available ? desk.State.Away.Remove(mediator) : desk.State.Away.Add(mediator);
        if (changed) await SaveAsync();
        if (available) await AssignWaitingAsync();
        return Queue(mediator);
    }

    public Task<MediatorQueue> GetQueueAsync(Caller caller) => Task.FromResult(Queue(RequireMediator(caller)));

    public Task ReceiveReminder(string reminderName, TickStatus status) => AssignWaitingAsync();

    /// <summary>The available mediator with the fewest open cases (below the limit, unless the case waited too long); ties go by the configured order.</summary>
    private string? PickFor(QueuedCase waiting)
    {
        var overdue = clock.GetUtcNow() - waiting.EscalatedAt >= options.Value.OfferWaitingAfter;
        return Mediators
            .Where(m => !desk.State.Away.Contains(m))
            .Select(m => (Mediator: m, Load: desk.State.Cases.Count(c => c.MediatorId == m)))
            .Where(m => overdue || m.Load < options.Value.MaxOpenCases)
            .OrderBy(m => m.Load)
            .Select(m => m.Mediator)
            .FirstOrDefault();
    }

    /// <summary>Waiting cases, in the desk's order, to whoever can take them; each assignment is recorded on the dispute.</summary>
    private async Task AssignWaitingAsync()
    {
        var waiting = QueuedCase.InDeskOrder(desk.State.Cases.Where(c => c.MediatorId is null)).ToArray();
        foreach (var queued in waiting)
        {
            if (PickFor(queued) is not { } mediator) continue;
            try
            {
                await GrainFactory.GetGrain<IDisputeGrain>(queued.DisputeId).AssignMediatorAsync(mediator);
            }
            catch (MediationException e) when (e.Code is ErrorCode.Conflict or ErrorCode.NotFound)
            {
                // Withdrawn (or gone) while it waited: it leaves the queue.
                logger.LogInformation("Desk {City}: case {DisputeId} left the queue: {Reason}", City, queued.DisputeId, e.Message);
                desk.State.Cases.Remove(queued);
                await SaveAsync();
                continue;
            }
            var index = desk.State.Cases.IndexOf(queued);
            desk.State.Cases[index] = queued with { MediatorId = mediator, AssignedAt = clock.GetUtcNow() };
            await SaveAsync();
        }
        await ArmOfferReminderAsync();
    }

    /// <summary>While cases wait, the desk looks again every period, so that a long wait is offered on even with nobody calling.</summary>
    private async Task ArmOfferReminderAsync()
    {
        var anyWaiting = desk.State.Cases.Any(c => c.MediatorId is null);
        var reminder = await this.GetReminder(OfferReminder);
        if (anyWaiting && reminder is null)
        {
            var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, options.Value.OfferWaitingAfter.Ticks / 2));
            await this.RegisterOrUpdateReminder(OfferReminder, period, period);
        }
        else if (!anyWaiting && reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>Durable first, then told to the desks' followers (a lost line is re-read with the queue).</summary>
    private async Task SaveAsync()
    {
        await desk.WriteStateAsync();
        MeasureQueue();
        try
        {
            await this.GetStreamProvider(MediationStreams.Provider).GetStream<DeskNews>(StreamId.Create(MediationStreams.Desks, City))
                .OnNextAsync(new DeskNews(City, QueuedCase.InDeskOrder(desk.State.Cases).ToArray(), clock.GetUtcNow()));
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Desk {City}: news not published", City);
        }
    }

    private string RequireMediator(Caller caller)
    {
        if (caller.Role != Role.Mediator || !Mediators.Contains(caller.UserId, StringComparer.Ordinal))
            throw MediationException.Forbidden($"{caller} is not a mediator of {City}");
        return caller.UserId;
    }

    private MediatorQueue Queue(string mediator) => new(
        mediator, City, !desk.State.Away.Contains(mediator),
        desk.State.Cases.Where(c => c.MediatorId == mediator).OrderBy(c => c.EscalatedAt).ToArray(),
        QueuedCase.InDeskOrder(desk.State.Cases.Where(c => c.MediatorId is null)).ToArray());
}
