namespace Edge.CoreSim;

/// <summary>
/// Settings of the simulated core, bound from the <c>CoreSim</c> configuration section.
/// </summary>
public sealed class CoreSimulatorOptions
{
    /// <summary>The configuration section these options are bound from: <c>CoreSim</c>.</summary>
    public const string SectionName = "CoreSim";

    /// <summary>
    /// Where proofs, scans, blobs and published manifests are kept. A relative path is resolved against the
    /// host's content root. Default: <c>data/core</c>. Only one simulator may use a directory at a time.
    /// </summary>
    public string DataDirectory { get; set; } = "data/core";

    /// <summary>
    /// Seed of the generated route manifests: the same seed always yields the same manifests. Default: 1.
    /// </summary>
    public long Seed { get; set; } = 1;

    /// <summary>
    /// How many routes exist: <c>R-0001</c> up to <c>R-NNNN</c>. Default: 50. Range 1 to 9999.
    /// </summary>
    public int RouteCount { get; set; } = 50;

    /// <summary>Stops in each generated manifest. Default: 120. Range 1 to 2000.</summary>
    public int StopsPerRoute { get; set; } = 120;

    /// <summary>
    /// When true, a proof naming a photo or thumbnail blob the core does not hold is refused with
    /// FAILED_PRECONDITION. Default: true.
    /// </summary>
    public bool RequireUploadedBlobs { get; set; } = true;

    /// <summary>The largest blob the core takes, in bytes. Default: 32 MiB.</summary>
    public long MaxBlobBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// Bearer token the caller (the gateway, <c>Edge:Core:AccessToken</c>) must send on every call of the core services
    /// (Blobs, Proofs, Scans, Manifests); others end UNAUTHENTICATED. Empty: the core services are open, for local
    /// use on loopback only. The Admin service (faults, counters) never asks for it: publish it on loopback only.
    /// Default: empty.
    /// </summary>
    public string? AccessToken { get; set; }

    /// <summary>Faults in force from start; the Admin service replaces them at run time. Default: none.</summary>
    public CoreSimulatorFaultOptions Faults { get; set; } = new();
}

/// <summary>
/// Faults injected into calls of the core services, bound from <c>CoreSim:Faults</c>. Admin's SetFaults
/// replaces them at run time.
/// </summary>
public sealed class CoreSimulatorFaultOptions
{
    /// <summary>Delay added before every call. Default: zero.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>A uniformly random extra delay below this, added to <see cref="Latency"/>. Default: zero.</summary>
    public TimeSpan LatencyJitter { get; set; }

    /// <summary>Probability, 0 to 1, that a call fails with <see cref="ErrorCode"/>. Default: 0.</summary>
    public double ErrorRate { get; set; }

    /// <summary>The status code of injected errors. Default: <see cref="Grpc.Core.StatusCode.Unavailable"/>.</summary>
    public Grpc.Core.StatusCode ErrorCode { get; set; } = Grpc.Core.StatusCode.Unavailable;

    /// <summary>
    /// When set, every call fails with UNAVAILABLE for this long after the simulator starts. Default: null (up).
    /// </summary>
    public TimeSpan? DownFor { get; set; }

    /// <summary>
    /// Probability, 0 to 1, that a call does its work and then fails with UNAVAILABLE, as if the answer were
    /// lost. Default: 0.
    /// </summary>
    public double LostResponseRate { get; set; }

    /// <summary>Proof ids the core rejects for good. Default: none.</summary>
    public IList<string> RejectProofIds { get; } = [];

    /// <summary>Scan event ids the core rejects for good. Default: none.</summary>
    public IList<string> RejectScanEventIds { get; } = [];

    /// <summary>The reason given with those rejections. Default: empty (a generic reason).</summary>
    public string RejectReason { get; set; } = "";

    /// <summary>
    /// Service names (<c>core.v1.Proofs</c>) or methods (<c>core.v1.Proofs/DeliverProof</c>) that latency, errors,
    /// down time and lost responses apply to. Default: none, meaning every core service.
    /// </summary>
    public IList<string> Targets { get; } = [];
}
