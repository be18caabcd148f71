using Core.V1;
using Edge.CoreSim.Contract;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Edge.CoreSim.FaultInjection;

/// <summary>One immutable set of faults, read by every call while it is in force.</summary>
internal sealed class FaultSet
{
    private const string DefaultRejectReason = "rejected by the core simulator";

    private readonly HashSet<string> _rejectedProofs;
    private readonly HashSet<string> _rejectedScans;
    private readonly HashSet<string> _targets;

    public FaultSet(Faults message)
    {
        Message = message.Clone();
        Latency = message.Latency?.ToTimeSpan() ?? TimeSpan.Zero;
        LatencyJitter = message.LatencyJitter?.ToTimeSpan() ?? TimeSpan.Zero;
        ErrorRate = message.ErrorRate;
        ErrorCode = message.ErrorCode == 0 ? StatusCode.Unavailable : (StatusCode)message.ErrorCode;
        DownUntil = message.DownUntil?.ToDateTimeOffset();
        LostResponseRate = message.LostResponseRate;
        RejectReason = string.IsNullOrEmpty(message.RejectReason) ? DefaultRejectReason : message.RejectReason;
        _rejectedProofs = new HashSet<string>(message.RejectProofIds, StringComparer.Ordinal);
        _rejectedScans = new HashSet<string>(message.RejectScanEventIds, StringComparer.Ordinal);
        _targets = new HashSet<string>(message.Targets.Select(t => t.Trim('/')), StringComparer.Ordinal);
    }

    public static FaultSet None { get; } = new(new Faults());

    /// <summary>The faults as the Admin service reports them.</summary>
    public Faults Message { get; }

    public TimeSpan Latency { get; }

    public TimeSpan LatencyJitter { get; }

    public double ErrorRate { get; }

    public StatusCode ErrorCode { get; }

    public DateTimeOffset? DownUntil { get; }

    public double LostResponseRate { get; }

    public string RejectReason { get; }

    public bool RejectsProof(string proofId) => _rejectedProofs.Contains(proofId);

    public bool RejectsScan(string eventId) => _rejectedScans.Contains(eventId);

    /// <summary>Whether latency, errors, down time and lost responses apply to a method (<c>/core.v1.Proofs/DeliverProof</c>).</summary>
    public bool AppliesTo(string method)
    {
        if (_targets.Count == 0)
        {
            return true;
        }

        var name = method.TrimStart('/');
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return _targets.Contains(name) || (slash > 0 && _targets.Contains(name[..slash]));
    }

    /// <summary>Adds a violation for each value of <paramref name="faults"/> out of range.</summary>
    public static void Check(Faults faults, FieldChecks checks)
    {
        if (faults.Latency is { } latency && latency.ToTimeSpan() < TimeSpan.Zero)
        {
            checks.Add("faults.latency", "must not be negative");
        }

        if (faults.LatencyJitter is { } jitter && jitter.ToTimeSpan() < TimeSpan.Zero)
        {
            checks.Add("faults.latency_jitter", "must not be negative");
        }

        if (!(faults.ErrorRate is >= 0 and <= 1))
        {
            checks.Add("faults.error_rate", "must be in [0, 1]");
        }

        if (!(faults.LostResponseRate is >= 0 and <= 1))
        {
            checks.Add("faults.lost_response_rate", "must be in [0, 1]");
        }

        if (faults.ErrorCode is < 0 or > 16)
        {
            checks.Add("faults.error_code", "must be a gRPC status code, 1 to 16 (0 means UNAVAILABLE)");
        }
    }

    /// <summary>The faults configured under <c>CoreSim:Faults</c>, with DownFor counted from <paramref name="now"/>.</summary>
    public static Faults FromOptions(CoreSimulatorFaultOptions options, DateTimeOffset now)
    {
        var faults = new Faults
        {
            Latency = Duration.FromTimeSpan(options.Latency),
            LatencyJitter = Duration.FromTimeSpan(options.LatencyJitter),
            ErrorRate = options.ErrorRate,
            ErrorCode = (int)options.ErrorCode,
            LostResponseRate = options.LostResponseRate,
            RejectReason = options.RejectReason,
        };
        if (options.DownFor is { } downFor && downFor > TimeSpan.Zero)
        {
            faults.DownUntil = Timestamp.FromDateTimeOffset(now + downFor);
        }

        faults.RejectProofIds.AddRange(options.RejectProofIds);
        faults.RejectScanEventIds.AddRange(options.RejectScanEventIds);
        faults.Targets.AddRange(options.Targets);
        return faults;
    }
}
