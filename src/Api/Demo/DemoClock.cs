namespace Mediation.Api.Demo;

/// <summary>
/// The grains' clock while the demo seeds an empty data folder: the system's time plus an offset (never positive) that
/// the seeder moves forward, so that the demo's older disputes can pass their negotiation window without changing any
/// rule or deadline. It never goes backwards: the offset only grows towards zero, and no reading is earlier than one
/// already given. Timers and timestamps are the system's.
/// </summary>
public sealed class DemoClock(TimeProvider system, TimeSpan startOffset) : TimeProvider
{
    private readonly Lock _gate = new();
    private TimeSpan _offset = startOffset <= TimeSpan.Zero ? startOffset
        : throw new ArgumentOutOfRangeException(nameof(startOffset), "the demo clock is never ahead of the system's");
    private DateTimeOffset _latest = DateTimeOffset.MinValue;

    public TimeSpan Offset { get { lock (_gate) return _offset; } }

    /// <summary>Moves the clock forward to the system's time plus <paramref name="offset"/>: at most zero, and not behind the current one.</summary>
    public void MoveTo(TimeSpan offset)
    {
        if (offset > TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(offset), "the demo clock is never ahead of the system's");
        lock (_gate)
        {
            if (offset < _offset) throw new InvalidOperationException($"the demo clock only moves forward: it is at {_offset}, not back to {offset}");
            _offset = offset;
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            var now = system.GetUtcNow() + _offset;
            if (now > _latest) _latest = now;
            return _latest;
        }
    }

    public override TimeZoneInfo LocalTimeZone => system.LocalTimeZone;
    public override long TimestampFrequency => system.TimestampFrequency;
    public override long GetTimestamp() => system.GetTimestamp();
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        system.CreateTimer(callback, state, dueTime, period);
}
