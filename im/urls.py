from django.urls import path

from im import views

urlpatterns = [
    path("", views.chat, name="chat"),
    path("im/usersig/", views.usersig, name="im-usersig"),
    path("im/people/", views.people, name="im-people"),
    path("im/media/", views.media_file, name="im-media"),
]
