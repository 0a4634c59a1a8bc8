using Mediation.Api.Demo;
using Microsoft.Extensions.Time.Testing;

namespace Mediation.Api.Tests;

public sealed class DemoClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_demo_clock_runs_behind_the_system_by_its_offset_and_only_moves_forward()
    {
        var system = new FakeTimeProvider(Start);
        var clock = new DemoClock(system, TimeSpan.FromDays(-4));
        Assert.Equal(Start.AddDays(-4), clock.GetUtcNow());

        system.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(Start.AddDays(-4).AddMinutes(5), clock.GetUtcNow());

        clock.MoveTo(TimeSpan.FromHours(-1));
        Assert.Equal(Start.AddMinutes(5).AddHours(-1), clock.GetUtcNow());

        // Back towards the past is refused, and the time it reads is unchanged.
        Assert.Throws<InvalidOperationException>(() => clock.MoveTo(TimeSpan.FromDays(-2)));
        Assert.Equal(Start.AddMinutes(5).AddHours(-1), clock.GetUtcNow());
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.MoveTo(TimeSpan.FromMinutes(1)));

        clock.MoveTo(TimeSpan.Zero);
        Assert.Equal(Start.AddMinutes(5), clock.GetUtcNow());
    }

    [Fact]
    public void The_demo_clock_never_reads_earlier_than_it_already_has_even_when_the_system_clock_steps_back()
    {
        var system = new SteppingClock { Now = Start };
        var clock = new DemoClock(system, TimeSpan.Zero);
        var first = clock.GetUtcNow();
        system.Now = Start.AddMinutes(-10);
        Assert.Equal(first, clock.GetUtcNow());
        system.Now = Start.AddMinutes(1);
        Assert.Equal(Start.AddMinutes(1), clock.GetUtcNow());
    }

    /// <summary>A system clock that an adjustment may set back.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
