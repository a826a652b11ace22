from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tokens.selectors import token_list

PAGE_SIZE = 50


def dashboard(request: HttpRequest) -> HttpResponse:
    page = Paginator(token_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tokens/dashboard.html", {"page": page})
