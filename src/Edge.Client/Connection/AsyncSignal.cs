namespace Edge.Client.Connection;

/// <summary>
/// Wakes waiters when something changed. A waiter takes <see cref="WaitAsync"/> before it looks at the state, so a
/// change that happens between its look and its wait is not lost.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _next = New();

    public Task WaitAsync() => Volatile.Read(ref _next).Task;

    public void Set() => Interlocked.Exchange(ref _next, New()).TrySetResult();

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
