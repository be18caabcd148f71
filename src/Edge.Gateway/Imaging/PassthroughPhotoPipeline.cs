namespace Edge.Gateway.Imaging;

/// <summary>Stores the uploaded bytes as they are, without any report. For non-photo objects and transport tests.</summary>
internal sealed class PassthroughPhotoPipeline : IPhotoPipeline
{
    public Task<ProcessedPhoto> ProcessAsync(PhotoSource source, CancellationToken cancellationToken)
        => Task.FromResult(new ProcessedPhoto(source.Path, source.DeclaredContentType, Report: null, ThumbnailPath: null));
}
