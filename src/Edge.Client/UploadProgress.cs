namespace Edge.Client;

/// <summary>How far an upload is.</summary>
/// <param name="CommittedBytes">Bytes the gateway has made durable; an interrupted upload resumes from here.</param>
/// <param name="TotalBytes">Size of the photo.</param>
/// <param name="Attempt">1 for the first stream, 2 after the first resume, and so on.</param>
public readonly record struct UploadProgress(long CommittedBytes, long TotalBytes, int Attempt);
