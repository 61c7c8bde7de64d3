// The app's Web Worker: Bertology's worker entry, bundled like any module.
import 'bertology/worker';
