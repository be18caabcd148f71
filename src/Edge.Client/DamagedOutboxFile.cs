namespace Edge.Client;

/// <summary>What an outbox file held.</summary>
public enum OutboxEntryKind
{
    /// <summary>A queued scan.</summary>
    Scan = 0,

    /// <summary>A queued or rejected proof of delivery.</summary>
    Proof = 1,

    /// <summary>A photo copy kept for a proof.</summary>
    Photo = 2,

    /// <summary>A cached route manifest (the next <see cref="EdgeClient.GetManifestAsync"/> fetches it again).</summary>
    Manifest = 3,
}

/// <summary>
/// An outbox file that could not be opened: changed on the disk, cut short, put in another file's place, or not
/// readable with the outbox's key. It was moved to <see cref="Path"/> (the outbox's <c>damaged/</c> folder) and is
/// never used; what it held is not delivered.
/// </summary>
public sealed class DamagedOutboxFile
{
    /// <summary>What the file held.</summary>
    public OutboxEntryKind Kind { get; init; }

    /// <summary>Where the file is now.</summary>
    public required string Path { get; init; }

    /// <summary>Why it could not be used.</summary>
    public string Reason { get; init; } = "";
}
