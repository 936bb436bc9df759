"""The same JSON read endpoint as wijknet's GET /t/<slug>/api/v1/members."""

import hashlib
import json
import math

from customers.models import ApiToken
from django.http import JsonResponse

from .models import Member


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": status, "status": message}, status=status)


def members(request):
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _error(401, "Unauthorized")
    digest = hashlib.sha256(header[7:].encode()).hexdigest()
    if not ApiToken.objects.filter(token_hash=digest, tenant_id=request.tenant.id).exists():
        return _error(404, "Not Found")
    try:
        page = int(request.GET.get("page", 1))
        size = int(request.GET.get("page_size", 10))
    except ValueError:
        return _error(422, "Unprocessable Entity")
    if page < 1 or not 1 <= size <= 100:
        return _error(422, "Unprocessable Entity")
    total = Member.objects.count()
    rows = Member.objects.order_by("display_name", "id")[(page - 1) * size : page * size]
    data = [
        {
            "id": m.id,
            "display_name": m.display_name,
            "role": m.role,
            "organisation": m.organisation,
            "joined_at": m.joined_at.isoformat(),
        }
        for m in rows
    ]
    pages = max(1, math.ceil(total / size))
    paging = {"total": total, "total_pages": pages, "first_page": 1, "last_page": pages, "page": page}
    if page < pages:
        paging["next_page"] = page + 1
    response = JsonResponse(data, safe=False)
    response["X-Pagination"] = json.dumps(paging)
    return response
