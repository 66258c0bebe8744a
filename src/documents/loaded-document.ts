/** The result of every document source: extracted text plus where it came from. */
export interface LoadedDocument {
  /** A display name: the uploaded file's name, the given name, or the URL's last path segment. */
  name: string;
  /** The detected type of the original bytes (e.g. `application/pdf`), not of `text`. */
  mimeType: string;
  /** Size of the original bytes (of the UTF-8 text for pasted text). */
  sizeBytes: number;
  text: string;
  /** `upload`, `text`, the final URL after redirects, or `workspace:<relative path>`. */
  source: string;
}
