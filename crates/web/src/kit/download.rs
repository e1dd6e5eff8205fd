//! Downloads of exports, sent as they are made: a CSV a page of cases at a time in the
//! response's body; an XLSX, which is zipped only at its end, written to a temporary file
//! first (in constant memory) and sent from it. Both the staff console and the REST API answer
//! with this.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use tawasul_app::cases::export::CaseExport;
use tawasul_app::Failure;
use tawasul_domain::export::ExportFormat;
use tokio::io::AsyncReadExt;

/// What a file is read by when it is sent.
const SEND_CHUNK: usize = 64 * 1024;

pub async fn export_response(mut export: CaseExport) -> Result<Response, Failure> {
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    let format = export.format();
    let body = match format {
        ExportFormat::Xlsx => {
            let unexpected = |e: std::io::Error| Failure::Unexpected(e.into());
            let file = tempfile::NamedTempFile::new().map_err(unexpected)?;
            export.write_to(file.path(), |_| {}).await?;
            let reader = tokio::fs::File::open(file.path()).await.map_err(unexpected)?;
            // The temporary file goes with the stream, when the last byte is sent or the
            // client leaves.
            Body::from_stream(futures::stream::try_unfold(
                (reader, file),
                |(mut reader, file)| async move {
                    let mut chunk = vec![0; SEND_CHUNK];
                    let n = reader.read(&mut chunk).await?;
                    if n == 0 {
                        return Ok::<_, std::io::Error>(None);
                    }
                    chunk.truncate(n);
                    Ok(Some((Bytes::from(chunk), (reader, file))))
                },
            ))
        }
        ExportFormat::Csv | ExportFormat::Nyc311 => {
            Body::from_stream(futures::stream::try_unfold(export, |mut export| async move {
                let chunk = export.next_chunk().await.inspect_err(|e| {
                    // The status is sent already: the body ends short, and the log says why.
                    tracing::error!(error = %e, "an export stopped part-way");
                })?;
                Ok::<_, Failure>(chunk.map(|chunk| (Bytes::from(chunk), export)))
            }))
        }
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    // A staff export holds residents' details: never kept by a cache on the way.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}
